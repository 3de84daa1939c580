//! What the conversation is about, from cue phrases in the customer's words: a small table of known
//! support situations, each with how to name it to the customer, the agent's first concrete action
//! and what the agent needs to know to act. Templates take `{key|fallback}` slots filled from the
//! known facts (see `Ctx::slot`).

/// A piece of context the agent needs for a kind of issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Name,
    Email,
    AccountId,
    ErrorMessage,
    Browser,
    Device,
    Url,
    InvoiceOrOrder,
    Attempts,
}

impl Need {
    /// How the gap reads in `Completeness::missing`.
    pub fn missing(self) -> &'static str {
        match self {
            Self::Name => "customer name unknown",
            Self::Email => "no email",
            Self::AccountId => "no account id",
            Self::ErrorMessage => "no error message",
            Self::Browser => "browser unknown",
            Self::Device => "device unknown",
            Self::Url => "no endpoint url",
            Self::InvoiceOrOrder => "no invoice or order id",
            Self::Attempts => "no troubleshooting attempts recorded",
        }
    }

    /// What the agent should ask for, in the agent's words.
    pub fn ask(self) -> Option<&'static str> {
        Some(match self {
            Self::Email => "the email address on the account",
            Self::AccountId => "their account id",
            Self::ErrorMessage => "the exact error message they see",
            Self::Browser => "their browser and version",
            Self::Device => "their device and operating system",
            Self::Url => "the endpoint URL",
            Self::InvoiceOrOrder => "the invoice or order number",
            Self::Name | Self::Attempts => return None,
        })
    }

    /// What to ask the customer for, when asking makes sense.
    pub fn question(self) -> Option<&'static str> {
        Some(match self {
            Self::Email => "the email address on your account",
            Self::AccountId => "your account id, if you have it handy",
            Self::ErrorMessage => "the exact error message you see",
            Self::Browser => "which browser and version you're using",
            Self::Device => "which device and operating system you're on",
            Self::Url => "the URL of your endpoint",
            Self::InvoiceOrOrder => "the invoice or order number",
            Self::Name | Self::Attempts => return None,
        })
    }
}

/// A known support situation.
#[derive(Debug)]
pub struct Topic {
    pub key: &'static str,
    /// Every group must have at least one cue in the customer's (lower-cased) words.
    pub cues: &'static [&'static [&'static str]],
    /// Noun phrase for "I can see you've been dealing with …".
    pub issue: &'static str,
    /// The same for the agent's summary, "… has been dealing with …".
    pub summary: &'static str,
    /// The agent's first concrete step (imperative).
    pub action: &'static str,
    /// Gerund phrase for "Let me start by …".
    pub start: &'static str,
    pub needs: &'static [Need],
}

use Need::*;

/// Most specific first: the first match is the conversation's main topic.
pub const TOPICS: &[Topic] = &[
    Topic {
        key: "suspicious_login",
        cues: &[&["suspicious", "wasn't me", "was not me", "didn't sign in", "did not sign in",
            "didn't log in", "hacked", "unrecognized", "unrecognised", "someone logged",
            "someone else", "compromised", "new sign-in", "new login", "never been to",
            "don't recognise", "don't recognize", "didn't recognise", "didn't recognize",
            "not me", "unknown device", "never requested", "never asked for", "i didn't request"]],
        issue: "a sign-in to your account that you don't recognise",
        summary: "sign-ins to {account|their account} they don't recognise",
        action: "Review recent sign-ins and active sessions on {account|the account}, revoke every session the customer does not recognise (including any still open after a password change) and enforce 2FA",
        start: "reviewing the recent sign-ins and active sessions on your account",
        needs: &[AccountId],
    },
    Topic {
        key: "leaked_secret",
        cues: &[&["leak", "public repo", "github", "exposed", "committed", "pushed", "pastebin", "posted publicly"],
            &["key", "token", "secret", "password", "credential"]],
        issue: "an API key of yours that was exposed publicly",
        summary: "an API key exposed publicly",
        action: "Revoke the exposed key on {account|the account} now, check its last use and the API logs for requests from addresses the customer does not know, and help them issue a replacement",
        start: "revoking the exposed key and checking whether anyone used it",
        needs: &[AccountId],
    },
    Topic {
        key: "data_deletion",
        cues: &[&["delete", "erase", "erasure", "right to be forgotten", "wipe", "remove all"],
            &["data", "personal", "information", "everything you"]],
        issue: "having your personal data deleted",
        summary: "getting their personal data deleted",
        action: "Log the erasure request with the date it was first made, confirm the customer's identity and hand it to the privacy team with its legal deadline",
        start: "logging your deletion request with our privacy team",
        needs: &[Email],
    },
    Topic {
        key: "two_factor_lockout",
        cues: &[&["2fa", "two-factor", "two factor", "authenticator", "verification code", "backup code"],
            &["lost", "new phone", "locked", "can't log", "cannot log", "can't get in", "wiped", "broke", "stolen"]],
        issue: "getting back into your account after losing your two-factor device",
        summary: "getting back into their account after losing their two-factor device",
        action: "Verify the customer's identity with the account-recovery checklist for {email|the account email}, then reset two-factor authentication so they can enrol their new device",
        start: "verifying your identity so I can reset two-factor authentication for you",
        needs: &[AccountId],
    },
    Topic {
        key: "login_loop",
        cues: &[&["sso", "single sign-on", "okta", "login", "log in", "sign in", "sign-in"],
            &["loop", "redirect", "keeps sending me back", "back to the login", "back to the sign"]],
        issue: "a login loop that keeps sending you back to the sign-in page",
        summary: "a login loop that keeps sending them back to the sign-in page",
        action: "Reproduce the SSO redirect on {browser|the customer's browser} ({device|their device}) and check the identity-provider logs and the session cookie's SameSite settings, which Safari enforces strictly",
        start: "checking the sign-in logs for your account while I reproduce the redirect",
        needs: &[Browser, Device, AccountId],
    },
    Topic {
        key: "rate_limited",
        cues: &[&["429", "rate limit", "rate-limit", "too many requests", "throttl"]],
        issue: "API requests being rate limited with 429 errors",
        summary: "API requests rate limited with 429s",
        action: "Check the request rate and limits of {account|the workspace} in the API gateway, and whether another key or integration is using the same quota",
        start: "checking your workspace's API usage and limits on our side",
        needs: &[AccountId],
    },
    Topic {
        key: "api_key_rejected",
        cues: &[&["api key", "api-key", "apikey", "token"],
            &["403", "401", "forbidden", "unauthorized", "rotat", "regenerat"]],
        issue: "API requests being rejected since your API key changed",
        summary: "API requests rejected since their API key changed",
        action: "Compare the scopes of the new API key on {account|the account} with the revoked one and look up the rejected request {request_id|in the API gateway logs}",
        start: "comparing the permissions of your new API key with the old one",
        needs: &[ErrorMessage, AccountId],
    },
    Topic {
        key: "webhook_failure",
        cues: &[&["webhook", "endpoint", "callback url", "deliveries", "payload", "events you send", "event you push"]],
        issue: "webhook deliveries to your endpoint failing",
        summary: "webhook deliveries to {url|their endpoint} failing",
        action: "Open the delivery logs for {url|the customer's webhook endpoint}, check which signing secret the failed deliveries used and replay a test event",
        start: "checking the delivery logs for your webhook endpoint",
        needs: &[ErrorMessage, Url, AccountId],
    },
    Topic {
        key: "export_timeout",
        cues: &[&["export"], &["timeout", "timed out", "times out", "time out", "never finishes",
            "stuck", "504", "fails", "failed"]],
        issue: "a data export that keeps timing out",
        summary: "a data export that keeps timing out",
        action: "Check the export job logs for {account|the account} and run the export server-side or in smaller date ranges, then send the customer the download link",
        start: "checking the logs for your export job",
        needs: &[ErrorMessage, AccountId],
    },
    Topic {
        key: "blank_dashboard",
        cues: &[&["blank", "white screen", "white page", "empty page", "nothing loads",
            "won't load", "doesn't load", "not loading"]],
        issue: "your dashboard showing a blank page",
        summary: "a dashboard that shows a blank page",
        action: "Reproduce the blank dashboard on {browser|the customer's browser} with the developer console open and check whether the latest release's front-end bundle fails to load there",
        start: "reproducing the blank dashboard on {browser|your browser}",
        needs: &[Browser, ErrorMessage, AccountId, Attempts],
    },
    Topic {
        key: "read_only_workspace",
        cues: &[&["read-only", "read only", "readonly", "locked workspace", "workspace is locked"]],
        issue: "your workspace still being read-only",
        summary: "a workspace stuck in read-only mode",
        action: "Check the payment status and the billing lock of {account|the workspace}, and lift the read-only lock if the invoice is paid",
        start: "checking the billing lock on your workspace",
        needs: &[AccountId],
    },
    Topic {
        key: "duplicate_charge",
        cues: &[&["charged twice", "charged me twice", "double charge", "double-charged",
            "double charged", "two charges", "duplicate charge", "billed twice", "charged two times"]],
        issue: "a duplicate charge on {invoice_id|your latest invoice}",
        summary: "a duplicate charge on {invoice_id|their latest invoice}",
        action: "Confirm the duplicate charge for {invoice_id|the latest invoice} in the payment system and refund the duplicate {amount|payment}",
        start: "checking the charges for {invoice_id|your latest invoice}",
        needs: &[InvoiceOrOrder, AccountId],
    },
    Topic {
        key: "cancellation",
        cues: &[&["cancel", "close my account", "delete my account", "terminate"]],
        issue: "cancelling your subscription",
        summary: "cancelling their subscription",
        action: "Cancel the subscription on {account|the account} now and confirm the end date and any prorated refund in writing",
        start: "processing your cancellation",
        needs: &[AccountId],
    },
    Topic {
        key: "refund_request",
        cues: &[&["refund", "money back"]],
        issue: "a refund for {order|your purchase}",
        summary: "getting a refund for {order|their purchase}",
        action: "Check the purchase date of {order|the order} against the refund policy and decide whether to grant a goodwill exception or offer account credit",
        start: "reviewing your purchase and the refund options I can offer",
        needs: &[InvoiceOrOrder, AccountId],
    },
    Topic {
        key: "billing",
        cues: &[&["invoice", "billing", "charge", "payment", "charged"]],
        issue: "a billing problem",
        summary: "a billing problem",
        action: "Open the billing history for {account|the account} and reconcile it with {invoice_id|the customer's statement}",
        start: "opening your billing history",
        needs: &[InvoiceOrOrder, AccountId],
    },
];

/// The topics whose cues all appear in `lower` (the customer's words, lower-cased), most specific first.
pub fn detect(lower: &str) -> Vec<&'static Topic> {
    TOPICS
        .iter()
        .filter(|t| {
            t.cues
                .iter()
                .all(|group| group.iter().any(|c| lower.contains(c)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_most_specific_topic_first() {
        let keys = |s: &str| detect(s).iter().map(|t| t.key).collect::<Vec<_>>();
        assert_eq!(
            keys("i was charged twice, i want a refund"),
            ["duplicate_charge", "refund_request", "billing"]
        );
        assert_eq!(keys("safari sso login keeps looping"), ["login_loop"]);
        assert_eq!(keys("hello"), Vec::<&str>::new());
    }
}
