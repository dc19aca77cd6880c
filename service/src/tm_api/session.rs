//! TradeMaster sessions as the compat routes see them: unknown ids are compat errors.

use serde_json::{Map, Value};

use super::TmError;
use crate::db::Db;
use crate::storage::sessions;

pub use sessions::{create, delete};

/// The session's parameters, or a compat error naming the unknown id.
pub async fn params(db: &Db, id: &str) -> Result<Map<String, Value>, TmError> {
    match sessions::params(db, id).await? {
        Some(params) => Ok(params),
        None => Err(TmError(format!("unknown session_id {id:?}; start a session with train, upload_csv or start_market_dynamics_labeling"))),
    }
}

/// The given session (which must exist) or a new one.
pub async fn existing_or_new(db: &Db, id: Option<String>) -> Result<String, TmError> {
    match id {
        Some(id) => {
            params(db, &id).await?;
            Ok(id)
        }
        None => Ok(create(db).await?),
    }
}

/// Sets keys of the session's parameters.
pub async fn update(db: &Db, id: &str, changes: Map<String, Value>) -> Result<(), TmError> {
    let mut current = params(db, id).await?;
    current.extend(changes);
    sessions::set_params(db, id, current).await?;
    Ok(())
}
