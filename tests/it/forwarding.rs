//! Forwarding end to end without a browser: synthetic peers built with the same `webrtc` crate
//! hold audio+video calls through the real gateway (real signalling, real SRTP over loopback),
//! the same path `warmline bench media` loads. Every packet sent in the window must arrive at
//! the other member, once, and the SFU's own counters must agree and show no drops. This is the
//! fast guard for the forward loop's direct write into each subscriber's connection.

use crate::common::heavy;
use warmline::bench::media::{measure, MediaBenchArgs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_packet_of_three_calls_reaches_the_other_member_and_the_sfu_counts_agree() {
    let _heavy = heavy().await;
    let args = MediaBenchArgs {
        calls: vec![3],
        duration: 2.0,
        warmup: 1.0,
        video_packets: 3,
        stop_loss: 0.0,
        gateway_threads: 2,
        // Apart from the range `bench media` uses by default, in case one runs meanwhile.
        udp_port_min: 47200,
        record: false,
        json: true,
    };
    let steps = measure(&args).await.expect("the bench's gateway starts");
    let step = steps
        .first()
        .expect("every member received media within 30 s");
    assert_eq!(step.calls, 3);
    // 3 calls x 2 members x (50 audio + 90 video) packets/s x 2 s.
    let expected = 3 * 2 * 140 * 2;
    assert!(
        step.sent.abs_diff(expected) <= expected / 20,
        "sent {} packets in the window, expected about {expected}",
        step.sent
    );
    assert_eq!(step.lost, 0, "lost packets: {step:?}");
    assert_eq!(step.received, step.sent, "{step:?}");
    assert_eq!(step.sfu_dropped, 0, "the SFU dropped copies: {step:?}");
    // The SFU's counter covers the same window, give or take the packets in flight at its edges.
    assert!(
        step.sfu_forwarded.abs_diff(step.received) <= step.received / 20,
        "SFU forwarded {} but receivers got {}",
        step.sfu_forwarded,
        step.received
    );
    assert_eq!(step.errors, 0, "signalling errors: {step:?}");
}
