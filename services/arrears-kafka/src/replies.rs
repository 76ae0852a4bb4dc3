//! An index of `arrears.replies`: the gateway awaits the reply to each
//! command it produced, and `GET /v1/commands/{id}` looks outcomes up.
//!
//! One `read_committed` consumer assigned to every partition (no group),
//! starting either at the beginning or at the current end. The index keeps the
//! most recent replies (bounded) and wakes whoever waits for one.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use crate::KafkaError;
use crate::config::KafkaConfig;

/// How many replies the index remembers.
pub const REPLY_CACHE: usize = 200_000;

#[derive(Default)]
struct Inner {
    replies: HashMap<Uuid, String>,
    order: VecDeque<Uuid>,
    waiters: HashMap<Uuid, Vec<oneshot::Sender<String>>>,
}

pub struct ReplyIndex {
    inner: Mutex<Inner>,
    /// Total of consumed positions over partitions (for catching up).
    consumed: watch::Sender<Vec<i64>>,
    cfg: KafkaConfig,
}

impl ReplyIndex {
    /// Starts consuming `arrears.replies` from the beginning (`from_start`)
    /// or from the current end.
    pub async fn start(cfg: &KafkaConfig, from_start: bool) -> Result<Arc<ReplyIndex>, KafkaError> {
        let topic = cfg.replies_topic();
        let partitions = {
            let cfg = cfg.clone();
            let topic = topic.clone();
            tokio::task::spawn_blocking(move || crate::topics::partition_count(&cfg, &topic))
                .await
                .map_err(|e| KafkaError::Admin(e.to_string()))??
        };
        let consumer: StreamConsumer = cfg
            .client()
            .set("group.id", format!("{}replies-index", cfg.topic_prefix))
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed")
            .set("fetch.wait.max.ms", "5")
            .create()?;
        // Explicit start offsets: a reply produced after this call is never
        // skipped, whatever the timing of the first fetch.
        let mut tpl = TopicPartitionList::new();
        let mut start = Vec::with_capacity(partitions as usize);
        for p in 0..partitions {
            let offset = if from_start {
                0
            } else {
                let (_, high) =
                    consumer.fetch_watermarks(&topic, p as i32, Duration::from_secs(10))?;
                high
            };
            start.push(offset);
            tpl.add_partition_offset(&topic, p as i32, Offset::Offset(offset))?;
        }
        consumer.assign(&tpl)?;
        let (consumed, _) = watch::channel(start);
        let index = Arc::new(ReplyIndex {
            inner: Mutex::new(Inner::default()),
            consumed,
            cfg: cfg.clone(),
        });
        let weak = Arc::downgrade(&index);
        tokio::spawn(async move {
            loop {
                let msg = consumer.recv().await;
                let Some(index) = weak.upgrade() else { break };
                match msg {
                    Ok(m) => {
                        let p = m.partition() as usize;
                        let offset = m.offset();
                        // The record key is the command id (the ledger writes it so).
                        if let Some(Ok(key)) = m.key_view::<str>()
                            && let Ok(id) = key.parse::<Uuid>()
                        {
                            let text = String::from_utf8_lossy(m.payload().unwrap_or_default());
                            index.insert(id, text.into_owned());
                        }
                        index.consumed.send_modify(|c| {
                            if let Some(slot) = c.get_mut(p) {
                                *slot = offset + 1;
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "reading replies");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
        Ok(index)
    }

    fn insert(&self, id: Uuid, reply: String) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(waiters) = inner.waiters.remove(&id) {
            for w in waiters {
                let _ = w.send(reply.clone());
            }
        }
        if inner.replies.insert(id, reply).is_none() {
            inner.order.push_back(id);
            while inner.order.len() > REPLY_CACHE {
                if let Some(old) = inner.order.pop_front() {
                    inner.replies.remove(&old);
                }
            }
        }
    }

    /// Registers interest in a reply before the command is produced, so the
    /// reply cannot slip by unseen.
    pub fn wait_for(&self, id: Uuid) -> oneshot::Receiver<String> {
        let (tx, rx) = oneshot::channel();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = inner.replies.get(&id) {
            let _ = tx.send(r.clone());
        } else {
            inner.waiters.entry(id).or_default().push(tx);
        }
        rx
    }

    /// Forgets a waiter that gave up.
    pub fn abandon(&self, id: Uuid) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.waiters.remove(&id);
    }

    pub fn get(&self, id: Uuid) -> Option<String> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.replies.get(&id).cloned()
    }

    /// Looks a reply up after consuming everything committed so far.
    pub async fn get_after_catching_up(&self, id: Uuid, wait: Duration) -> Option<String> {
        if let Some(r) = self.get(id) {
            return Some(r);
        }
        let targets = {
            let cfg = self.cfg.clone();
            let n = self.consumed.borrow().len();
            tokio::task::spawn_blocking(move || -> Option<Vec<i64>> {
                let consumer: rdkafka::consumer::BaseConsumer = cfg.client().create().ok()?;
                (0..n)
                    .map(|p| {
                        consumer
                            .fetch_watermarks(
                                &cfg.replies_topic(),
                                p as i32,
                                Duration::from_secs(5),
                            )
                            .ok()
                            .map(|(_, h)| h)
                    })
                    .collect()
            })
            .await
            .ok()
            .flatten()?
        };
        let mut rx = self.consumed.subscribe();
        let caught_up = tokio::time::timeout(wait, async {
            loop {
                // Consumed positions may stop one short of the high watermark
                // (the last transaction's commit marker), so allow that.
                let done = rx.borrow().iter().zip(&targets).all(|(c, t)| *c + 1 >= *t);
                if done || rx.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
        let _ = caught_up;
        self.get(id)
    }
}
