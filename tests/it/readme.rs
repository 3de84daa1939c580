//! The README's configuration example is a file people copy: it must load as it is written.

use std::path::Path;

#[test]
fn the_readme_configuration_example_loads() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let section = readme
        .split("### Configuration")
        .nth(1)
        .expect("a Configuration section");
    let toml = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a toml block");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("warmline.toml");
    std::fs::write(&file, toml).expect("write");
    let config = warmline::config::Config::load(Some(&file))
        .unwrap_or_else(|e| panic!("the README example does not load: {e}\n{toml}"));
    assert_eq!(config.media.udp_port_min, 40000);
    assert_eq!(config.handoff.routing.offer_timeout_secs, 30);
    assert_eq!(config.assistant_name, "Brightboard Assistant");
}
