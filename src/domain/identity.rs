//! Verified customer identity: the host site's backend vouches for its signed-in user with a
//! short-lived JWT (HS256, signed with the site's secret) carrying `sub` (its customer id),
//! `name`, `email` and the article's `context` (`previousInteractions`, `satisfactionHistory`,
//! `productUsage`, `accountStatus`, and any other keys).
//!
//! Contract: pure, with time passed in. Only HS256 is accepted (no `none`, no algorithm
//! confusion); `exp` and `sub` are required; a token valid for more than
//! [`MAX_LIFETIME_SECS`] from now is refused (a long-lived token is a password that leaks into
//! pages); `aud`, when present, must be the site's id; `nbf`/`iat` in the future (beyond
//! [`LEEWAY_SECS`]) are refused. A verified customer's id is scoped to the site (`site:sub`), so
//! two sites' customer ids never collide.

use super::conversation::{Customer, CustomerContext};
use super::site::Site;
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// Longest time a token may still be valid, from now.
pub const MAX_LIFETIME_SECS: i64 = 24 * 3600;
/// Clock difference tolerated between the host's servers and ours.
pub const LEEWAY_SECS: i64 = 60;
/// Longest token accepted, in bytes.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Why a token was refused. The message is safe to show the host's developers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("the identity token is malformed or not signed with this site's secret (HS256)")]
    BadSignature,
    #[error("the identity token has expired")]
    Expired,
    #[error("the identity token is not valid yet")]
    NotYetValid,
    #[error("the identity token is valid for too long: at most 24 hours from now")]
    TooLong,
    #[error("the identity token is for another site (aud)")]
    WrongSite,
    #[error("the identity token's {0} claim is missing or invalid")]
    BadClaim(&'static str),
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: Option<String>,
    exp: Option<i64>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    aud: Option<serde_json::Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    context: Option<CustomerContext>,
}

/// The customer the token vouches for, marked verified and tied to `site`; `now` in Unix seconds.
pub fn verify(token: &str, site: &Site, now: i64) -> Result<Customer, IdentityError> {
    if token.len() > MAX_TOKEN_BYTES || site.secret.is_empty() {
        return Err(IdentityError::BadSignature);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    // Time and audience are checked below, against `now` and the site.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let key = DecodingKey::from_secret(site.secret.as_bytes());
    // Malformed, another algorithm, another key, claims of the wrong shape: one answer, so a
    // prober learns nothing about which part failed.
    let claims = decode::<Claims>(token, &key, &validation)
        .map_err(|_| IdentityError::BadSignature)?
        .claims;
    let exp = claims.exp.ok_or(IdentityError::BadClaim("exp"))?;
    if exp + LEEWAY_SECS < now {
        return Err(IdentityError::Expired);
    }
    if exp - now > MAX_LIFETIME_SECS + LEEWAY_SECS {
        return Err(IdentityError::TooLong);
    }
    let future = |t: Option<i64>| t.is_some_and(|t| t - LEEWAY_SECS > now);
    if future(claims.nbf) || future(claims.iat) {
        return Err(IdentityError::NotYetValid);
    }
    let for_site = |v: &serde_json::Value| v.as_str() == Some(site.id.as_str());
    match &claims.aud {
        None => {}
        Some(serde_json::Value::Array(list)) if list.iter().any(for_site) => {}
        Some(v) if for_site(v) => {}
        Some(_) => return Err(IdentityError::WrongSite),
    }
    let sub = claims
        .sub
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.len() <= 128 && !s.chars().any(char::is_control))
        .ok_or(IdentityError::BadClaim("sub"))?;
    let text = |v: Option<String>, max: usize, what| match v.map(|s| s.trim().to_owned()) {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) if s.chars().count() <= max && !s.chars().any(char::is_control) => Ok(Some(s)),
        Some(_) => Err(IdentityError::BadClaim(what)),
    };
    let name = text(claims.name, 200, "name")?;
    let email = text(claims.email, 254, "email")?;
    if email.as_ref().is_some_and(|e| !e.contains('@')) {
        return Err(IdentityError::BadClaim("email"));
    }
    Ok(Customer {
        id: format!("{}:{sub}", site.id),
        name,
        email,
        context: claims.context.unwrap_or_default(),
        site: Some(site.id.clone()),
        verified: true,
        unverified_context: None,
        history: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn site() -> Site {
        Site {
            id: "site_abc".into(),
            name: "Acme".into(),
            origins: vec!["https://app.acme.io".into()],
            secret: "wl_site_secret-of-the-site".into(),
            color: None,
            greeting: None,
            conversations_per_minute: 0,
            created_at: chrono::Utc::now(),
        }
    }

    fn sign(claims: serde_json::Value, secret: &str, alg: Algorithm) -> String {
        encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    fn good() -> serde_json::Value {
        json!({
            "sub": "user-42", "name": "Sarah Chen", "email": "sarah@acme.io",
            "iat": NOW, "exp": NOW + 600, "aud": "site_abc",
            "context": { "accountStatus": "pro-subscriber", "previousInteractions": 3,
                         "satisfactionHistory": [4.2, 3.8], "productUsage": "power-user",
                         "crmTier": "gold" }
        })
    }

    #[test]
    fn a_good_token_gives_a_verified_customer_scoped_to_the_site() {
        let token = sign(good(), &site().secret, Algorithm::HS256);
        let c = verify(&token, &site(), NOW).unwrap();
        assert_eq!(c.id, "site_abc:user-42");
        assert!(c.verified);
        assert_eq!(c.site.as_deref(), Some("site_abc"));
        assert_eq!(c.context.account_status.as_deref(), Some("pro-subscriber"));
        assert_eq!(c.context.previous_interactions, 3);
        assert_eq!(c.context.attributes["crmTier"], "gold");
    }

    #[test]
    fn forged_expired_long_lived_and_foreign_tokens_are_refused() {
        let s = site();
        let with = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut c = good();
            f(&mut c);
            sign(c, &s.secret, Algorithm::HS256)
        };
        let wrong_key = sign(good(), "another-site-secret", Algorithm::HS256);
        assert_eq!(
            verify(&wrong_key, &s, NOW),
            Err(IdentityError::BadSignature)
        );
        let hs512 = sign(good(), &s.secret, Algorithm::HS512);
        assert_eq!(verify(&hs512, &s, NOW), Err(IdentityError::BadSignature));
        // alg "none", hand-made.
        let none = format!(
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
            base64_url(&good().to_string())
        );
        assert_eq!(verify(&none, &s, NOW), Err(IdentityError::BadSignature));
        let expired = with(&|c| c["exp"] = json!(NOW - 3600));
        assert_eq!(verify(&expired, &s, NOW), Err(IdentityError::Expired));
        let forever = with(&|c| c["exp"] = json!(NOW + 30 * 24 * 3600));
        assert_eq!(verify(&forever, &s, NOW), Err(IdentityError::TooLong));
        let later = with(&|c| c["nbf"] = json!(NOW + 3600));
        assert_eq!(verify(&later, &s, NOW), Err(IdentityError::NotYetValid));
        let other = with(&|c| c["aud"] = json!("site_other"));
        assert_eq!(verify(&other, &s, NOW), Err(IdentityError::WrongSite));
        let no_exp = with(&|c| {
            c.as_object_mut().unwrap().remove("exp");
        });
        assert_eq!(
            verify(&no_exp, &s, NOW),
            Err(IdentityError::BadClaim("exp"))
        );
        let no_sub = with(&|c| c["sub"] = json!(""));
        assert_eq!(
            verify(&no_sub, &s, NOW),
            Err(IdentityError::BadClaim("sub"))
        );
        let bad_ctx = with(&|c| c["context"] = json!("vip"));
        assert!(verify(&bad_ctx, &s, NOW).is_err());
        assert_eq!(
            verify("not.a.token", &s, NOW),
            Err(IdentityError::BadSignature)
        );
        assert_eq!(verify("", &s, NOW), Err(IdentityError::BadSignature));
        // A list audience naming the site is fine; leeway covers small clock differences.
        let list = with(&|c| c["aud"] = json!(["x", "site_abc"]));
        assert!(verify(&list, &s, NOW).is_ok());
        let just = with(&|c| c["exp"] = json!(NOW - 30));
        assert!(verify(&just, &s, NOW).is_ok());
    }

    fn base64_url(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }
}
