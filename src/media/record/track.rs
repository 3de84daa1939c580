//! The recorder's threads: one per tapped track (Ogg/Opus or WebM file, Opus decode for the
//! mixer and the audio tap) and one mixer per call. They block on their queues and on disk,
//! never on the async runtime.

use super::clock::TrackClock;
use super::layout::{self, MIXED};
use super::mixer::{Mixer, FRAME};
use super::ogg::OpusOgg;
use super::webm::Vp8Webm;
use super::{Finished, MixIn, RecordError};
use crate::domain::{MediaSource, ParticipantId, RecordingFile, RecordingSource};
use crate::media::signal::AudioChunk;
use rtc::media::io::sample_builder::SampleBuilder;
use rtc::rtp::codec::vp8::Vp8Packet;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc as sync_mpsc, Arc};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long the mixer waits for late audio before a frame is final.
const MIX_LATENCY_MS: u64 = 1_000;
/// Largest decoded Opus packet: 120 ms at 48 kHz.
const MAX_OPUS_SAMPLES: usize = 5_760;

pub struct Track {
    pub call_id: String,
    pub member: ParticipantId,
    pub source: MediaSource,
    /// The call's directory and this track's file name, when recording.
    pub file: Option<(PathBuf, String)>,
    pub started: Instant,
    pub mixer: Option<sync_mpsc::SyncSender<MixIn>>,
    pub audio_tap: Option<mpsc::Sender<AudioChunk>>,
    pub chunks_dropped: Arc<AtomicU64>,
}

fn since(started: Instant) -> u64 {
    started.elapsed().as_millis() as u64
}

fn create(dir: &Path, name: &str) -> Result<BufWriter<File>, RecordError> {
    std::fs::create_dir_all(dir)?;
    Ok(BufWriter::new(File::create(dir.join(name))?))
}

fn file(
    member: Option<&ParticipantId>,
    source: RecordingSource,
    name: &str,
    offset_ms: u64,
    duration_ms: u64,
) -> RecordingFile {
    RecordingFile {
        participant_id: member.cloned(),
        source,
        path: name.to_owned(),
        offset_ms,
        duration_ms,
        mime: layout::mime(source).to_owned(),
    }
}

/// A microphone: Ogg/Opus file, and decoded PCM for the mixer and the audio tap.
pub fn audio(mut rx: mpsc::Receiver<rtc::rtp::Packet>, t: Track) -> Finished {
    let mut clock = TrackClock::new(48_000);
    let mut ogg: Option<OpusOgg<BufWriter<File>>> = None;
    let mut decoder =
        opus::Decoder::new(48_000, opus::Channels::Mono).map_err(RecordError::codec)?;
    let mut pcm = vec![0i16; MAX_OPUS_SAMPLES];
    let mut failed: Option<RecordError> = None;
    while let Some(pkt) = rx.blocking_recv() {
        if pkt.payload.is_empty() {
            continue;
        }
        let Some(pos) = clock.place(pkt.header.timestamp, since(t.started)) else {
            continue;
        };
        let samples = decoder.decode(&pkt.payload, &mut pcm, false).unwrap_or(0);
        if let (Some((dir, name)), None) = (&t.file, &failed) {
            let result = match &mut ogg {
                Some(o) => o.write(pos, pkt.payload.clone(), samples as u64),
                None => create(dir, name)
                    .and_then(|w| OpusOgg::new(w, 1))
                    .and_then(|o| {
                        let o = ogg.insert(o);
                        o.write(pos, pkt.payload.clone(), samples as u64)
                    }),
            };
            if let Err(e) = result {
                failed = Some(e);
            }
        }
        if samples == 0 {
            continue;
        }
        let chunk = &pcm[..samples];
        if let Some(mixer) = &t.mixer {
            let _ = mixer.send(MixIn {
                at: pos,
                pcm: chunk.to_vec(),
            });
        }
        if let Some(tap) = &t.audio_tap {
            let sent = tap.try_send(AudioChunk {
                call_id: t.call_id.clone(),
                participant_id: t.member.clone(),
                start_ms: clock.to_ms(pos),
                samples: chunk.to_vec(),
            });
            if sent.is_err() {
                t.chunks_dropped.fetch_add(1, Ordering::Relaxed);
                crate::media::stats::AUDIO_TAP_DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let (Some(o), Some((_, name))) = (ogg, &t.file) else {
        return Ok(None);
    };
    let (start, duration) = (o.start().unwrap_or(0), o.duration());
    o.finish()?;
    Ok(Some(file(
        Some(&t.member),
        t.source.into(),
        name,
        clock.to_ms(start),
        clock.to_ms(duration),
    )))
}

/// A camera or screen: VP8 frames from RTP into a WebM file.
pub fn video(mut rx: mpsc::Receiver<rtc::rtp::Packet>, t: Track) -> Finished {
    let Some((dir, name)) = &t.file else {
        return Ok(None);
    };
    let mut clock = TrackClock::new(90_000);
    let mut builder = SampleBuilder::new(256, Vp8Packet::default(), 90_000)
        .with_max_time_delay(Duration::from_millis(500));
    let mut webm: Option<Vp8Webm<BufWriter<File>>> = None;
    while let Some(pkt) = rx.blocking_recv() {
        let now = Instant::now();
        builder.push(now, pkt);
        while let Some(sample) = builder.pop(now) {
            let Some(pos) = clock.place(sample.packet_timestamp, since(t.started)) else {
                continue;
            };
            let w = match &mut webm {
                Some(w) => w,
                None => webm.insert(Vp8Webm::new(create(dir, name)?)),
            };
            w.write(pos, &sample.data)?;
        }
    }
    let Some(w) = webm else { return Ok(None) };
    let (start, duration) = (w.start(), w.duration());
    if !w.finish()? {
        let _ = std::fs::remove_file(dir.join(name));
        return Ok(None);
    }
    Ok(Some(file(
        Some(&t.member),
        t.source.into(),
        name,
        clock.to_ms(start.unwrap_or(0)),
        clock.to_ms(duration),
    )))
}

/// The call's mixed audio: every microphone summed on the call clock, encoded as Opus.
pub fn mix(rx: sync_mpsc::Receiver<MixIn>, dir: PathBuf, started: Instant) -> Finished {
    let mut mixer = Mixer::new();
    let mut encoder = opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip)
        .map_err(RecordError::codec)?;
    let mut ogg: Option<OpusOgg<BufWriter<File>>> = None;
    let mut packet = vec![0u8; 4_000];
    let mut write = |frames: Vec<(u64, Vec<i16>)>,
                     ogg: &mut Option<OpusOgg<BufWriter<File>>>|
     -> Result<(), RecordError> {
        for (index, pcm) in frames {
            let n = encoder
                .encode(&pcm, &mut packet)
                .map_err(RecordError::codec)?;
            let o = match ogg {
                Some(o) => o,
                None => ogg.insert(OpusOgg::new(create(&dir, MIXED)?, 1)?),
            };
            o.write(
                index * FRAME as u64,
                bytes::Bytes::copy_from_slice(&packet[..n]),
                FRAME as u64,
            )?;
        }
        Ok(())
    };
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(m) => mixer.push(m.at, &m.pcm),
            Err(sync_mpsc::RecvTimeoutError::Timeout) => {}
            Err(sync_mpsc::RecvTimeoutError::Disconnected) => break,
        }
        let horizon = since(started).saturating_sub(MIX_LATENCY_MS) * 48;
        write(mixer.ready(horizon), &mut ogg)?;
    }
    let end = mixer.end().max(since(started) * 48);
    write(mixer.ready(end), &mut ogg)?;
    let Some(o) = ogg else { return Ok(None) };
    let duration = o.duration();
    o.finish()?;
    Ok(Some(file(
        None,
        RecordingSource::Mixed,
        MIXED,
        0,
        duration / 48,
    )))
}
