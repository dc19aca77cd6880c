//! Short-lived shared state: response and job-status caches, token revocations, rate-limit
//! counters. Redis when configured, else in-process maps. Every Redis failure is logged and
//! reported to the caller as "unknown" so that requests fall back to the database.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;

const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
const RECONNECT_PAUSE: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("redis is unavailable: {0}")]
    Unavailable(String),
    #[error("invalid REDIS_URL: {0}")]
    BadUrl(String),
}

pub struct Cache {
    /// Prepended to every key, so that several deployments can share one Redis.
    namespace: String,
    redis: Option<RedisLink>,
    memory: Memory,
}

struct RedisLink {
    client: redis::Client,
    manager: tokio::sync::Mutex<Option<ConnectionManager>>,
    last_attempt: Mutex<Option<Instant>>,
}

#[derive(Default)]
struct Memory {
    values: Mutex<HashMap<String, (String, Instant)>>,
}

impl Cache {
    /// In-process only.
    pub fn memory() -> Self {
        Cache {
            namespace: String::new(),
            redis: None,
            memory: Memory::default(),
        }
    }

    /// Redis at `url`; the connection is made on first use and re-made after failures, so
    /// a Redis that is down at start or later never stops the service.
    pub fn redis(url: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url)
            .map_err(|e| CacheError::BadUrl(format!("{}: {e}", crate::db::redact(url))))?;
        Ok(Cache {
            namespace: String::new(),
            redis: Some(RedisLink {
                client,
                manager: tokio::sync::Mutex::new(None),
                last_attempt: Mutex::new(None),
            }),
            memory: Memory::default(),
        })
    }

    /// Prefixes every key with `namespace:`.
    pub fn with_namespace(mut self, namespace: &str) -> Self {
        self.namespace = format!("{namespace}:");
        self
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.namespace)
    }

    pub fn backend(&self) -> &'static str {
        if self.redis.is_some() {
            "redis"
        } else {
            "memory"
        }
    }

    pub fn is_shared(&self) -> bool {
        self.redis.is_some()
    }

    /// Reachability, for /ready.
    pub async fn ping(&self) -> Result<(), CacheError> {
        let Some(link) = &self.redis else {
            return Ok(());
        };
        let mut conn = link.connection().await?;
        let pong: Result<String, _> = run(redis::cmd("PING").query_async(&mut conn)).await;
        pong.map(|_| ())
    }

    /// The cached value; `None` when absent or when Redis cannot be asked.
    pub async fn get(&self, key: &str) -> Option<String> {
        let key = &self.key(key);
        match &self.redis {
            None => self.memory.get(key),
            Some(link) => {
                let mut conn = link.connection().await.ok()?;
                match run(conn.get::<_, Option<String>>(key)).await {
                    Ok(value) => value,
                    Err(e) => {
                        tracing::warn!(error = %e, key, "cache read failed; using the database");
                        None
                    }
                }
            }
        }
    }

    /// [`Cache::get`] through a copy kept in this process for `near_ttl`, so that a value
    /// read on every request costs one Redis round trip per replica and `near_ttl`, not one
    /// per request. Other replicas' writes show after at most `near_ttl`.
    pub async fn get_near(&self, key: &str, near_ttl: Duration) -> Option<String> {
        if self.redis.is_none() {
            return self.get(key).await;
        }
        let near_key = near_key(&self.key(key));
        if let Some(value) = self.memory.get(&near_key) {
            return Some(value);
        }
        let value = self.get(key).await?;
        self.memory.set(&near_key, &value, near_ttl);
        Some(value)
    }

    /// Strictly "is this key there": `None` when Redis cannot be asked.
    pub async fn exists(&self, key: &str) -> Option<bool> {
        let key = &self.key(key);
        match &self.redis {
            None => Some(self.memory.get(key).is_some()),
            Some(link) => {
                let mut conn = link.connection().await.ok()?;
                run(conn.exists::<_, bool>(key)).await.ok()
            }
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        let key = &self.key(key);
        match &self.redis {
            None => self.memory.set(key, value, ttl),
            Some(link) => {
                let Ok(mut conn) = link.connection().await else {
                    return;
                };
                let secs = ttl.as_secs().max(1);
                if let Err(e) = run(conn.set_ex::<_, _, ()>(key, value, secs)).await {
                    tracing::warn!(error = %e, key, "cache write failed");
                }
            }
        }
    }

    pub async fn delete(&self, key: &str) {
        let key = &self.key(key);
        match &self.redis {
            None => self.memory.delete(key),
            Some(link) => {
                self.memory.delete(&near_key(key));
                let Ok(mut conn) = link.connection().await else {
                    return;
                };
                if let Err(e) = run(conn.del::<_, ()>(key)).await {
                    tracing::warn!(error = %e, key, "cache delete failed");
                }
            }
        }
    }

    /// Counts one more event in the window that `key` opened; returns the count so far.
    /// Falls back to this process's counters while Redis is unavailable.
    pub async fn hit(&self, key: &str, window: Duration) -> u64 {
        let key = &self.key(key);
        if let Some(link) = &self.redis {
            if let Ok(mut conn) = link.connection().await {
                let secs = window.as_secs().max(1) as i64;
                let counted: Result<(u64, bool), _> = run(redis::pipe()
                    .atomic()
                    .incr(key, 1u64)
                    .expire(key, secs)
                    .arg("NX")
                    .query_async(&mut conn))
                .await;
                match counted {
                    Ok((count, _)) => return count,
                    Err(e) => tracing::warn!(error = %e, "rate-limit counter in redis failed"),
                }
            }
        }
        self.memory.hit(key, window)
    }
}

impl RedisLink {
    async fn connection(&self) -> Result<ConnectionManager, CacheError> {
        let mut guard = self.manager.lock().await;
        if let Some(manager) = guard.as_ref() {
            return Ok(manager.clone());
        }
        {
            let mut last = self
                .last_attempt
                .lock()
                .map_err(|_| CacheError::Unavailable("lock poisoned".into()))?;
            if last.is_some_and(|at| at.elapsed() < RECONNECT_PAUSE) {
                return Err(CacheError::Unavailable("reconnecting".into()));
            }
            *last = Some(Instant::now());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(REDIS_TIMEOUT)
            .set_response_timeout(REDIS_TIMEOUT)
            .set_number_of_retries(1);
        let manager = tokio::time::timeout(
            REDIS_TIMEOUT * 2,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        .map_err(|_| CacheError::Unavailable("connection timed out".into()))?
        .map_err(|e| {
            tracing::warn!(error = %e, "cannot connect to redis");
            CacheError::Unavailable(e.to_string())
        })?;
        *guard = Some(manager.clone());
        Ok(manager)
    }
}

async fn run<T>(
    command: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, CacheError> {
    match tokio::time::timeout(REDIS_TIMEOUT, command).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(CacheError::Unavailable(e.to_string())),
        Err(_) => Err(CacheError::Unavailable("command timed out".into())),
    }
}

/// Where the in-process copy of a Redis value is kept (by its namespaced key).
fn near_key(key: &str) -> String {
    format!("near:{key}")
}

impl Memory {
    fn get(&self, key: &str) -> Option<String> {
        let values = self.values.lock().ok()?;
        values
            .get(key)
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(v, _)| v.clone())
    }

    fn set(&self, key: &str, value: &str, ttl: Duration) {
        if let Ok(mut values) = self.values.lock() {
            let now = Instant::now();
            if values.len() > 100_000 {
                values.retain(|_, (_, expires)| *expires > now);
            }
            values.insert(key.to_string(), (value.to_string(), now + ttl));
        }
    }

    fn delete(&self, key: &str) {
        if let Ok(mut values) = self.values.lock() {
            values.remove(key);
        }
    }

    fn hit(&self, key: &str, window: Duration) -> u64 {
        let Ok(mut values) = self.values.lock() else {
            return u64::MAX;
        };
        let now = Instant::now();
        let entry = values
            .entry(key.to_string())
            .or_insert_with(|| ("0".to_string(), now + window));
        if entry.1 <= now {
            *entry = ("0".to_string(), now + window);
        }
        let count = entry.0.parse::<u64>().unwrap_or(0) + 1;
        entry.0 = count.to_string();
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_cache_expires_and_counts() {
        let cache = Cache::memory();
        cache.set("a", "1", Duration::from_millis(30)).await;
        assert_eq!(cache.get("a").await.as_deref(), Some("1"));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(cache.get("a").await, None);
        assert_eq!(cache.hit("k", Duration::from_secs(60)).await, 1);
        assert_eq!(cache.hit("k", Duration::from_secs(60)).await, 2);
    }
}
