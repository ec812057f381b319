//! Object storage for media: a local directory by default, any S3-compatible store by
//! configuration (object_store underneath). Writes stream and become visible only when
//! finished, so a partial upload never exists under its final name.

mod inspect;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream::BoxStream};
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart, aws::AmazonS3, path::Path, signer::Signer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use inspect::Inspection;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageConfig {
    /// `local` or `s3`.
    pub kind: String,
    /// For `local`: the directory.
    pub dir: String,
    pub s3_bucket: String,
    /// For S3-compatible stores (MinIO, R2, …); empty for AWS.
    pub s3_endpoint: String,
    pub s3_region: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    pub s3_allow_http: bool,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            kind: "local".into(),
            dir: "./.run/media".into(),
            s3_bucket: String::new(),
            s3_endpoint: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            s3_allow_http: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage: {0}")]
    Store(#[from] object_store::Error),
    #[error("larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("{0}")]
    Source(String),
    #[error("storage configuration: {0}")]
    Config(String),
}

/// What a finished write measured on the way through.
#[derive(Debug, Clone)]
pub struct Written {
    pub size: u64,
    pub sha256: String,
}

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    s3: Option<Arc<AmazonS3>>,
}

/// Where bytes wait until they are verified (an upload session, a multipart file).
pub fn staging_key(id: &str) -> Path {
    Path::from(format!("staging/{id}"))
}

/// Where a verified asset lives; never overwritten.
pub fn asset_key(id: &str) -> Path {
    Path::from(format!("assets/{id}"))
}

impl Storage {
    pub fn from_config(c: &StorageConfig) -> Result<Storage, StorageError> {
        match c.kind.as_str() {
            "local" => {
                std::fs::create_dir_all(&c.dir).map_err(|e| StorageError::Config(format!("{}: {e}", c.dir)))?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(&c.dir)?;
                Ok(Storage { store: Arc::new(fs), s3: None })
            }
            "s3" => {
                let mut b = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(&c.s3_bucket)
                    .with_region(&c.s3_region)
                    .with_allow_http(c.s3_allow_http);
                if !c.s3_endpoint.is_empty() {
                    b = b.with_endpoint(&c.s3_endpoint);
                }
                if !c.s3_access_key_id.is_empty() {
                    b = b.with_access_key_id(&c.s3_access_key_id).with_secret_access_key(&c.s3_secret_access_key);
                }
                let s3 = Arc::new(b.build()?);
                Ok(Storage { store: s3.clone(), s3: Some(s3) })
            }
            other => Err(StorageError::Config(format!("unknown storage kind `{other}` (local or s3)"))),
        }
    }

    /// Streams `source` to `key`, refusing more than `max` bytes. On any failure the
    /// partial object is discarded.
    pub async fn write_stream<S, E>(&self, key: &Path, mut source: S, max: u64) -> Result<Written, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let upload = self.store.put_multipart(key).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let failure = loop {
            match source.next().await {
                None => break None,
                Some(Err(e)) => break Some(StorageError::Source(e.to_string())),
                Some(Ok(chunk)) => {
                    size += chunk.len() as u64;
                    if size > max {
                        break Some(StorageError::TooLarge { max });
                    }
                    hasher.update(&chunk);
                    // Bounded memory: wait while two parts are still in flight.
                    if let Err(e) = writer.wait_for_capacity(2).await {
                        break Some(e.into());
                    }
                    writer.write(&chunk);
                }
            }
        };
        match failure {
            Some(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
            None => {
                writer.finish().await?;
                Ok(Written { size, sha256: hex::encode(hasher.finalize()) })
            }
        }
    }

    pub async fn size(&self, key: &Path) -> Result<Option<u64>, StorageError> {
        match self.store.head(key).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn read_range(&self, key: &Path, range: std::ops::Range<u64>) -> Result<Bytes, StorageError> {
        Ok(self.store.get_range(key, range).await?)
    }

    pub async fn read_stream(
        &self,
        key: &Path,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, StorageError>>), StorageError> {
        let got = self.store.get(key).await?;
        let size = got.meta.size;
        Ok((size, got.into_stream().map(|r| r.map_err(StorageError::from)).boxed()))
    }

    /// SHA-256 and size of a stored object, read as a stream.
    pub async fn digest(&self, key: &Path) -> Result<Written, StorageError> {
        let (_, mut s) = self.read_stream(key).await?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = s.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            hasher.update(&chunk);
        }
        Ok(Written { size, sha256: hex::encode(hasher.finalize()) })
    }

    /// Moves a verified object to its final key.
    pub async fn promote(&self, from: &Path, to: &Path) -> Result<(), StorageError> {
        Ok(self.store.rename(from, to).await?)
    }

    pub async fn delete(&self, key: &Path) -> Result<(), StorageError> {
        match self.store.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A URL the client PUTs the bytes to directly — only stores that sign URLs (S3);
    /// for the local store the gateway receives the bytes itself.
    pub async fn presigned_put(&self, key: &Path, ttl: Duration) -> Result<Option<String>, StorageError> {
        match &self.s3 {
            Some(s3) => Ok(Some(s3.signed_url(object_store::signer::Method::PUT, key, ttl).await?.to_string())),
            None => Ok(None),
        }
    }

    /// Ids of staged objects last written before `cutoff` (leftovers of requests that
    /// never finished, and of upload sessions).
    pub async fn staged_before(&self, cutoff: chrono::DateTime<chrono::Utc>) -> Result<Vec<String>, StorageError> {
        let prefix = Path::from("staging");
        let mut listing = self.store.list(Some(&prefix));
        let mut ids = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            if meta.last_modified < cutoff
                && let Some(name) = meta.location.filename()
            {
                ids.push(name.to_owned());
            }
        }
        Ok(ids)
    }

    pub async fn inspect(&self, key: &Path, size: u64) -> Result<Option<Inspection>, StorageError> {
        inspect::inspect(self, key, size).await
    }
}
