//! Labelled example messages for the built-in intents: data only. The semantic classifier compares
//! a message with these by meaning, so they are written the many ways customers say the same
//! thing, and a few are deliberately close to another intent's territory but on this side of it
//! (a GDPR *copy* is a data export; *deleting* it under the GDPR is a legal request).

/// `(intent, examples)` for every default intent.
pub const EXAMPLES: &[(&str, &[&str])] = &[
    (
        "security",
        &[
            "Someone logged into my account from another country",
            "I got a sign-in alert from a device I don't own",
            "There are logins from a location we've never been to",
            "I think our account has been hacked",
            "Password reset emails keep arriving that I never requested",
            "Our API key was accidentally pushed to a public GitHub repository",
            "One of our secret keys leaked, can someone check whether it was used",
            "An ex-employee still seems to have access to our workspace",
            "I received a phishing email pretending to be from you",
            "Dashboards were deleted and none of us did it",
            "I found a security vulnerability in your app",
            "Someone changed my password and email without me",
            "I got a new sign-in email for a city I have never been to",
            "There is a login from a device and country I don't recognise",
            "Our audit log shows activity at night that none of us did",
            "Someone may have our admin password",
            "There is a member in our workspace that none of us recognise",
            "An admin account appeared that nobody on the team created",
            "We need to know who added this user and what they accessed",
        ],
    ),
    (
        "legal",
        &[
            "Our lawyer will be in touch about this",
            "We are considering legal action",
            "I will report you to the data protection authority",
            "Delete all of my personal data under the GDPR right to erasure",
            "I want to exercise my right to be forgotten",
            "Please send us your data processing agreement to sign",
            "We need your DPA and subprocessor list for our compliance review",
            "This is a formal complaint and I expect a written response",
            "You are in breach of our contract",
            "We received a subpoena related to one of your customers",
        ],
    ),
    (
        "cancellation",
        &[
            "I want to cancel my subscription",
            "Please close my account",
            "How do I stop being charged and end the plan?",
            "We're moving to another vendor and need to terminate",
            "Cancel everything, we're done",
            "We won't renew, please cancel at the end of the term",
            "I'd like to delete my account entirely",
            "Stop charging my card, I don't use this anymore",
        ],
    ),
    (
        "technical_support",
        &[
            "My dashboard is just a blank white page",
            "The app keeps spinning and never loads",
            "Charts say failed to fetch data",
            "Everything is really slow today",
            "I get a 500 error when I open reports",
            "The page freezes when I click on a widget",
            "Is Brightboard down? Nothing loads for anyone",
            "Some charts are missing for me but not for my colleague",
            "Dashboards time out when I pick a long date range",
            "It works on my phone but not on my laptop",
        ],
    ),
    (
        "login_access",
        &[
            "I forgot my password",
            "The password reset email never arrives",
            "My two-factor codes are rejected as invalid",
            "I got a new phone and lost my authenticator app",
            "My account is locked after too many attempts",
            "How do I sign in with our company SSO?",
            "Okta says I'm not assigned to the application",
            "I can't get into my account",
            "I used my backup code and still can't log in",
            "The login page keeps sending me back to the sign-in screen",
        ],
    ),
    (
        "billing",
        &[
            "I was charged twice this month",
            "There are two identical payments on my card statement",
            "Can I get a refund for my annual plan?",
            "Where can I download my invoices?",
            "I need our VAT number on the invoice",
            "My credit card expired, how do I update it?",
            "My payment was declined and the workspace is read-only",
            "Why did the price of my subscription go up?",
            "How do I switch to annual billing?",
            "We were billed for seats we don't use",
        ],
    ),
    (
        "integrations",
        &[
            "Our webhook endpoint stopped receiving events",
            "Webhook deliveries fail with a 401 from our server",
            "The signature on your webhooks never matches",
            "How do I verify the webhook signature in Node?",
            "We receive the same webhook event twice",
            "Slack alerts stopped arriving in our channel",
            "My Zapier zap doesn't trigger anymore",
            "How do I set up a webhook for export.ready?",
            "Our endpoint was disabled after failing deliveries",
            "Webhook requests to us time out",
        ],
    ),
    (
        "api_keys",
        &[
            "The API returns 401 Unauthorized with my new key",
            "I rotated the API key and now every request fails",
            "I get 403 Forbidden when I call the exports endpoint",
            "We hit 429 Too Many Requests all the time",
            "How do I create an API key?",
            "How do I revoke an old API token?",
            "What scopes does my key need to create dashboards?",
            "Requests fail with invalid token since this morning",
        ],
    ),
    (
        "data_export",
        &[
            "How do I export a dashboard to CSV?",
            "My large export never finishes",
            "Can I schedule a weekly export by email?",
            "Special characters look wrong when I open the CSV in Excel",
            "How can I get a copy of all my personal data?",
            "I'd like to download everything you store about me, it's a GDPR access request",
            "Where do I download my data from?",
            "The export link in the email has expired",
            "Can I export the raw data behind a chart?",
        ],
    ),
    (
        "human_request",
        &[
            "Can I talk to a real person?",
            "Please just let me talk to a human",
            "Get me an agent",
            "I want to speak to someone from support",
            "Connect me with a representative",
            "Is there a human I can chat with?",
            "Stop, I need a person, not a bot",
            "Can you escalate this to a manager?",
        ],
    ),
    (
        "call_request",
        &[
            "Can you call me?",
            "Can we do a video call so I can share my screen?",
            "I'd rather explain this on a phone call",
            "Could someone hop on a call with me?",
            "Is there a number I can ring?",
            "Let's do a screen share, it's easier to show you",
        ],
    ),
    (
        "greeting",
        &[
            "Hi there",
            "Hello!",
            "Good morning",
            "Hey",
            "Hi, anyone there?",
        ],
    ),
    (
        "thanks",
        &[
            "Thanks, that fixed it!",
            "Thank you so much",
            "Great, that worked",
            "Cheers, appreciate it",
            "Perfect, thanks for the help",
        ],
    ),
];

/// The examples of `intent`, empty for an intent without any.
pub fn examples_of(intent: &str) -> Vec<String> {
    EXAMPLES
        .iter()
        .find(|(name, _)| *name == intent)
        .map(|(_, ex)| ex.iter().map(|e| (*e).to_owned()).collect())
        .unwrap_or_default()
}
