//! Offer/answer bookkeeping for one member's connection, sans-IO. The browser makes the first
//! offer; after that the gateway offers whenever its side changed (tracks forwarded or removed),
//! but only from a stable state, and once more after the answer if something changed meanwhile.
//! The browser may also offer (it added a screen share). The gateway is the impolite peer of the
//! "perfect negotiation" pattern: a browser offer that collides with the gateway's own pending
//! offer is refused, the browser rolls back and answers the gateway's offer, then offers again.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// No offer in flight.
    #[default]
    Stable,
    /// The gateway sent an offer and waits for the answer.
    GatewayOffered,
}

/// What to do with a browser's offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteOffer {
    /// Apply it and answer.
    Answer,
    /// Our own offer is in flight: refuse it (`glare`); the browser rolls back and retries.
    Glare,
}

#[derive(Debug, Clone, Default)]
pub struct Negotiation {
    state: State,
    /// A change happened that the browser has not been offered yet.
    pending: bool,
    /// The browser's first offer has been answered (before that the gateway never offers).
    established: bool,
}

impl Negotiation {
    /// Something changed on the gateway's side. True: send an offer now.
    pub fn changed(&mut self) -> bool {
        self.pending = true;
        self.try_offer()
    }

    /// The browser sent an offer.
    pub fn remote_offer(&mut self) -> RemoteOffer {
        match self.state {
            State::Stable => RemoteOffer::Answer,
            State::GatewayOffered => RemoteOffer::Glare,
        }
    }

    /// Our answer to the browser's offer is on its way. True: also send our own offer now
    /// (changes waited for the connection to be established or for this exchange to finish).
    pub fn answered(&mut self) -> bool {
        self.established = true;
        self.try_offer()
    }

    /// The browser answered our offer. True: offer again (more changes arrived meanwhile).
    pub fn remote_answer(&mut self) -> bool {
        self.state = State::Stable;
        self.try_offer()
    }

    /// Our offer could not be made or was refused: go back to stable and try again later.
    pub fn offer_failed(&mut self) {
        self.state = State::Stable;
        self.pending = true;
    }

    /// Waiting for the browser's answer to our offer.
    pub fn awaiting_answer(&self) -> bool {
        self.state == State::GatewayOffered
    }

    fn try_offer(&mut self) -> bool {
        if self.pending && self.established && self.state == State::Stable {
            self.pending = false;
            self.state = State::GatewayOffered;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_gateway_offer_before_the_browsers_first_offer_is_answered() {
        let mut n = Negotiation::default();
        assert!(!n.changed(), "tracks added while connecting wait");
        assert_eq!(n.remote_offer(), RemoteOffer::Answer);
        assert!(n.answered(), "then one offer carries them");
        assert!(n.awaiting_answer());
    }

    #[test]
    fn changes_during_an_offer_make_exactly_one_more_offer() {
        let mut n = Negotiation::default();
        n.remote_offer();
        n.answered();
        assert!(n.changed());
        assert!(!n.changed(), "in flight: wait");
        assert!(!n.changed());
        assert!(n.remote_answer(), "one more for everything that happened");
        assert!(!n.remote_answer(), "and then nothing");
    }

    #[test]
    fn a_colliding_browser_offer_is_glare() {
        let mut n = Negotiation::default();
        n.remote_offer();
        n.answered();
        assert!(n.changed());
        assert_eq!(n.remote_offer(), RemoteOffer::Glare);
        n.remote_answer();
        assert_eq!(
            n.remote_offer(),
            RemoteOffer::Answer,
            "after rollback and answer"
        );
        assert!(!n.answered());
    }

    #[test]
    fn a_failed_offer_is_retried_on_the_next_occasion() {
        let mut n = Negotiation::default();
        n.remote_offer();
        n.answered();
        assert!(n.changed());
        n.offer_failed();
        assert!(!n.awaiting_answer());
        assert!(n.changed());
    }
}
