//! Configuration of the services: a TOML file (optional), overridden by
//! environment variables, overridden by command-line flags where a flag exists.

use std::path::Path;

use anyhow::Context as _;
use arrears_kafka::KafkaConfig;
use serde::Deserialize;

/// Everything the Kafka/PostgreSQL services share. File keys are the field
/// names; environment variables are `ARREARS_` + the upper-case name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// `ARREARS_KAFKA_BROKERS`, e.g. `127.0.0.1:9092`.
    pub kafka_brokers: Option<String>,
    /// `ARREARS_DATABASE_URL`, e.g. `postgres://arrears:arrears@127.0.0.1:55432/arrears`.
    pub database_url: Option<String>,
    /// `ARREARS_TOPIC_PREFIX`, default `arrears.`.
    pub topic_prefix: String,
    /// `ARREARS_PARTITIONS`: used when creating topics, default 8.
    pub partitions: u32,
    /// `ARREARS_ADMIN_KEY`: the bootstrap API key of the gateway.
    pub admin_key: Option<String>,
    /// `ARREARS_TENANT`: the tenant the admin key acts for, default `default`.
    pub tenant: String,
    /// `ARREARS_POLICY_DIR`: policy pack overrides (see `policy.rs`); none by default.
    pub policy_dir: Option<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            kafka_brokers: None,
            database_url: None,
            topic_prefix: "arrears.".into(),
            partitions: 8,
            admin_key: None,
            tenant: "default".into(),
            policy_dir: None,
        }
    }
}

impl Settings {
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut s = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("in {}", path.display()))?
            }
            None => Settings::default(),
        };
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        if let Some(v) = env("ARREARS_KAFKA_BROKERS") {
            s.kafka_brokers = Some(v);
        }
        if let Some(v) = env("ARREARS_DATABASE_URL") {
            s.database_url = Some(v);
        }
        if let Some(v) = env("ARREARS_TOPIC_PREFIX") {
            s.topic_prefix = v;
        }
        if let Some(v) = env("ARREARS_PARTITIONS") {
            s.partitions = v
                .parse()
                .context("ARREARS_PARTITIONS must be a whole number")?;
        }
        if let Some(v) = env("ARREARS_ADMIN_KEY") {
            s.admin_key = Some(v);
        }
        if let Some(v) = env("ARREARS_TENANT") {
            s.tenant = v;
        }
        if let Some(v) = env("ARREARS_POLICY_DIR") {
            s.policy_dir = Some(v.into());
        }
        Ok(s)
    }

    pub fn kafka(&self) -> anyhow::Result<KafkaConfig> {
        let brokers = self.kafka_brokers.clone().context(
            "no Kafka brokers configured: set ARREARS_KAFKA_BROKERS or kafka_brokers in the config file",
        )?;
        Ok(KafkaConfig::new(brokers)
            .with_prefix(self.topic_prefix.clone())
            .with_partitions(self.partitions))
    }

    /// The policy packs in force: shipped, with the overrides of `policy_dir`.
    pub fn policy(&self) -> anyhow::Result<std::sync::Arc<arrears_policy::PackSet>> {
        crate::policy::load(self.policy_dir.as_deref())
    }

    pub fn database_url(&self) -> anyhow::Result<String> {
        self.database_url.clone().context(
            "no database configured: set ARREARS_DATABASE_URL or database_url in the config file",
        )
    }
}
