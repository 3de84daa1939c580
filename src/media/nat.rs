//! Announcing a public address behind a 1:1 NAT. `rtc` 0.21 stores its NAT setting but never
//! uses it, so the gateway rewrites the connection address of every candidate it signals, both
//! trickled ones and the `a=candidate` lines inside its SDPs.

/// `candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...` with the
/// address replaced. Anything that does not look like a candidate is returned unchanged.
pub fn rewrite_candidate(candidate: &str, public_ip: &str) -> String {
    let mut parts: Vec<&str> = candidate.split(' ').collect();
    if parts.len() > 7 && parts[6] == "typ" {
        parts[4] = public_ip;
    }
    parts.join(" ")
}

/// Every `a=candidate:` line of `sdp` rewritten.
pub fn rewrite_sdp(sdp: &str, public_ip: &str) -> String {
    sdp.split("\r\n")
        .map(|line| match line.strip_prefix("a=") {
            Some(c) if c.starts_with("candidate:") => {
                format!("a={}", rewrite_candidate(c, public_ip))
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_get_the_public_address() {
        let c = "candidate:1 1 udp 2130706431 10.0.0.5 40000 typ host";
        assert_eq!(
            rewrite_candidate(c, "203.0.113.7"),
            "candidate:1 1 udp 2130706431 203.0.113.7 40000 typ host"
        );
        assert_eq!(rewrite_candidate("garbage", "203.0.113.7"), "garbage");
        let sdp = "v=0\r\na=candidate:1 1 udp 2130706431 10.0.0.5 40000 typ host\r\na=mid:0\r\n";
        assert_eq!(
            rewrite_sdp(sdp, "203.0.113.7"),
            "v=0\r\na=candidate:1 1 udp 2130706431 203.0.113.7 40000 typ host\r\na=mid:0\r\n"
        );
    }
}
