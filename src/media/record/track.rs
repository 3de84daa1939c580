//! The recorder's threads: one per tapped track (Ogg/Opus or WebM file, Opus decode for the
//! mixer and the audio tap) and one mixer per call. They block on their queues and on disk,
//! never on the async runtime.

use super::clock::TrackClock;
use super::layout::{self, MIXED};
use super::mixer::{Mixer, FRAME};
use super::ogg::OpusOgg;
use super::page_file::{PageFile, PageSink};
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
/// An Ogg file's pages go to disk when this many bytes wait, or this often.
const COMMIT_BYTES: usize = 8 * 1024;
const COMMIT_EVERY: Duration = Duration::from_secs(1);
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

/// An Ogg/Opus file being written: the page writer over a `PageFile`, committed about once a
/// second. A disk that refuses a commit ends the file at its last whole commit (logged once,
/// counted); the track's audio still feeds the mixer and the tap.
struct OggRecording {
    ogg: OpusOgg<PageSink>,
    file: PageFile,
    committed_at: Instant,
    /// The audio's duration (samples) at the last whole commit.
    durable_duration: u64,
    call_id: String,
}

impl OggRecording {
    fn create(dir: &Path, name: &str, call_id: &str) -> Result<Self, RecordError> {
        let (file, sink) = PageFile::create(dir, name)?;
        Ok(Self {
            ogg: OpusOgg::new(sink, 1)?,
            file,
            committed_at: Instant::now(),
            durable_duration: 0,
            call_id: call_id.to_owned(),
        })
    }

    fn write(&mut self, pos: u64, packet: bytes::Bytes, samples: u64) -> Result<(), RecordError> {
        if self.file.failed() {
            return Ok(());
        }
        self.ogg.write(pos, packet, samples)?;
        if self.file.pending() >= COMMIT_BYTES || self.committed_at.elapsed() >= COMMIT_EVERY {
            self.commit();
        }
        Ok(())
    }

    fn commit(&mut self) {
        self.committed_at = Instant::now();
        if commit(&self.file, &self.call_id) {
            self.durable_duration = self.ogg.duration();
        }
    }

    /// Closes the stream: the first packet's position and the duration kept, or `None` (and no
    /// file) when none of the audio reached the disk.
    fn finish(self) -> Result<Option<(u64, u64)>, RecordError> {
        let Self {
            ogg,
            file,
            durable_duration,
            call_id,
            ..
        } = self;
        let start = ogg.start().unwrap_or(0);
        if !file.failed() {
            let duration = ogg.duration();
            ogg.finish()?;
            if commit(&file, &call_id) {
                return Ok(Some((start, duration)));
            }
        }
        if durable_duration == 0 {
            let _ = std::fs::remove_file(file.path());
            return Ok(None);
        }
        Ok(Some((start, durable_duration)))
    }
}

/// Moves `file`'s pending pages to disk; false (logged once, counted) when the disk refused.
fn commit(file: &PageFile, call_id: &str) -> bool {
    match file.commit() {
        Ok(()) => !file.failed(),
        Err(e) => {
            crate::media::stats::RECORDING_WRITE_FAILURES.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                call_id,
                file = %file.path().display(),
                error = %e,
                "the disk refused a recording write: the file ends here, the call goes on"
            );
            false
        }
    }
}

/// A microphone: Ogg/Opus file, and decoded PCM for the mixer and the audio tap.
pub fn audio(mut rx: mpsc::Receiver<rtc::rtp::Packet>, t: Track) -> Finished {
    let mut clock = TrackClock::new(48_000);
    let mut ogg: Option<OggRecording> = None;
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
                None => OggRecording::create(dir, name, &t.call_id).and_then(|o| {
                    ogg.insert(o)
                        .write(pos, pkt.payload.clone(), samples as u64)
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
    let Some((start, duration)) = o.finish()? else {
        return Ok(None);
    };
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
    let mut refused = false;
    while let Some(pkt) = rx.blocking_recv() {
        // After the disk refused a write the track is only drained, so its forward loop never
        // meets a closed tap.
        if refused {
            continue;
        }
        let now = Instant::now();
        builder.push(now, pkt);
        while let Some(sample) = builder.pop(now) {
            let Some(pos) = clock.place(sample.packet_timestamp, since(t.started)) else {
                continue;
            };
            let written = match &mut webm {
                Some(w) => w.write(pos, &sample.data),
                None => create(dir, name)
                    .and_then(|f| webm.insert(Vp8Webm::new(f)).write(pos, &sample.data)),
            };
            if let Err(e) = written {
                // A WebM cut mid-cluster has no cues or duration: drop it rather than keep a
                // file players stumble over.
                crate::media::stats::RECORDING_WRITE_FAILURES.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    call_id = %t.call_id,
                    file = %dir.join(name).display(),
                    error = %e,
                    "the disk refused a video recording write: the video is dropped, the call goes on"
                );
                webm = None;
                let _ = std::fs::remove_file(dir.join(name));
                refused = true;
                break;
            }
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
    let mut ogg: Option<OggRecording> = None;
    let mut packet = vec![0u8; 4_000];
    let call_id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut write =
        |frames: Vec<(u64, Vec<i16>)>, ogg: &mut Option<OggRecording>| -> Result<(), RecordError> {
            for (index, pcm) in frames {
                let n = encoder
                    .encode(&pcm, &mut packet)
                    .map_err(RecordError::codec)?;
                let o = match ogg {
                    Some(o) => o,
                    None => ogg.insert(OggRecording::create(&dir, MIXED, &call_id)?),
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
    let Some((_, duration)) = o.finish()? else {
        return Ok(None);
    };
    Ok(Some(file(
        None,
        RecordingSource::Mixed,
        MIXED,
        0,
        duration / 48,
    )))
}
