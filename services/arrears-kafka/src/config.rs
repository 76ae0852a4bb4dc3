//! Where Kafka is and what the topics are called.

/// Connection and topic settings shared by every Kafka client of arrears.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// `bootstrap.servers`, e.g. `127.0.0.1:9092`.
    pub brokers: String,
    /// Prefix of every topic name (`arrears.` gives `arrears.events`, …).
    /// Tests use a unique prefix so they never see each other's data.
    pub topic_prefix: String,
    /// Partition count used when creating topics. Fixed for life: it is part
    /// of the key → partition function (DESIGN D1).
    pub partitions: u32,
    /// Replication factor used when creating topics (1 on a single broker).
    pub replication: i32,
}

impl KafkaConfig {
    pub fn new(brokers: impl Into<String>) -> KafkaConfig {
        KafkaConfig {
            brokers: brokers.into(),
            topic_prefix: "arrears.".into(),
            partitions: 8,
            replication: 1,
        }
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> KafkaConfig {
        self.topic_prefix = prefix.into();
        self
    }

    pub fn with_partitions(mut self, partitions: u32) -> KafkaConfig {
        self.partitions = partitions;
        self
    }

    pub fn commands_topic(&self) -> String {
        format!("{}commands", self.topic_prefix)
    }
    pub fn events_topic(&self) -> String {
        format!("{}events", self.topic_prefix)
    }
    pub fn replies_topic(&self) -> String {
        format!("{}replies", self.topic_prefix)
    }
    pub fn dead_letter_topic(&self) -> String {
        format!("{}dead-letter", self.topic_prefix)
    }

    /// A client config (consumers, admin) with the brokers set.
    pub fn client(&self) -> rdkafka::ClientConfig {
        let mut c = rdkafka::ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("socket.keepalive.enable", "true");
        c
    }

    /// A producer config: the brokers and the partitioner that agrees with
    /// Kafka's JVM default (murmur2), so keys land where Java clients put them.
    pub fn producer(&self) -> rdkafka::ClientConfig {
        let mut c = self.client();
        c.set("partitioner", "murmur2_random");
        c
    }
}
