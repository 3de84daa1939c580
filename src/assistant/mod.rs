//! The assistant: built-in knowledge-base answers and external bot adapters. Filled in next.
