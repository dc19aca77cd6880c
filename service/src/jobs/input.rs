//! Job inputs, typed: built once where a request enters (a compat route or the web API),
//! stored as JSON in the job row, and read back into the same types by the worker.
//!
//! The stored JSON keeps the field names of the original TradeMaster requests, so a job
//! queued by an earlier version of the service still runs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::JobKind;
use crate::storage::strategies::Strategy;

/// What a job works on; its variant is the job's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum JobInput {
    Train(TrainInput),
    Test(TestInput),
    Label(LabelInput),
    DynamicsTest(DynamicsTestInput),
}

/// Training: a compat session's request, or a web API strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TrainInput {
    Strategy { strategy: Strategy },
    Session(SessionTrain),
}

/// The compat `train` request, with the uploaded dataset it resolved to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionTrain {
    pub task_name: String,
    pub dataset_name: String,
    pub agent_name: String,
    pub optimizer_name: String,
    pub loss_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// A JSON object of agent hyperparameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hyperparameters: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub dataset_id: String,
}

/// Testing: a given training job's model (compat), or the strategy's newest trained one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TestInput {
    Training { train_job_id: String },
    Strategy { strategy: Strategy },
}

/// The compat `start_market_dynamics_labeling` request; the labeler's own rules (method,
/// metric, whole numbers) are checked when the job runs, as the original did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelInput {
    pub dataset_name: String,
    pub key_indicator: String,
    pub timestamp: String,
    pub tic: String,
    pub labeling_method: String,
    pub merging_metric: String,
    pub number_of_market_style: f64,
    pub min_length_limit: f64,
    pub filter_strength: f64,
    pub max_length_expectation: f64,
    pub merging_threshold: f64,
    pub merging_dynamic_constraint: f64,
    #[serde(rename = "startDate", default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(rename = "endDate", default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    pub dataset_id: String,
}

/// A test of a trained agent on the segments of one market-dynamics label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DynamicsTestInput {
    pub label: u64,
    pub label_job_id: String,
    pub train_job_id: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the stored input of a {kind} job does not fit: {source}")]
pub struct StoredInputError {
    kind: &'static str,
    source: serde_json::Error,
}

impl JobInput {
    pub fn kind(&self) -> JobKind {
        match self {
            JobInput::Train(_) => JobKind::Train,
            JobInput::Test(_) => JobKind::Test,
            JobInput::Label(_) => JobKind::Label,
            JobInput::DynamicsTest(_) => JobKind::DynamicsTest,
        }
    }

    /// The JSON kept in the job row.
    pub fn to_stored(&self) -> String {
        let value = match self {
            JobInput::Train(input) => serde_json::to_string(input),
            JobInput::Test(input) => serde_json::to_string(input),
            JobInput::Label(input) => serde_json::to_string(input),
            JobInput::DynamicsTest(input) => serde_json::to_string(input),
        };
        // Plain structs of strings, numbers and JSON values always serialize.
        value.unwrap_or_else(|_| "{}".into())
    }

    /// The input of a stored job of `kind`.
    pub fn from_stored(kind: JobKind, text: &str) -> Result<Self, StoredInputError> {
        let error = |source| StoredInputError {
            kind: kind.as_str(),
            source,
        };
        Ok(match kind {
            JobKind::Train => JobInput::Train(serde_json::from_str(text).map_err(error)?),
            JobKind::Test => JobInput::Test(serde_json::from_str(text).map_err(error)?),
            JobKind::Label => JobInput::Label(serde_json::from_str(text).map_err(error)?),
            JobKind::DynamicsTest => {
                JobInput::DynamicsTest(serde_json::from_str(text).map_err(error)?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session_train() -> SessionTrain {
        SessionTrain {
            task_name: "algorithmic_trading".into(),
            dataset_name: "custom:BTC".into(),
            agent_name: "algorithmic_trading:dqn".into(),
            optimizer_name: "adam".into(),
            loss_name: "mse".into(),
            start_date: Some("2019-01-01".into()),
            end_date: None,
            hyperparameters: None,
            seed: Some(3),
            dataset_id: "d1".into(),
        }
    }

    #[test]
    fn inputs_round_trip_through_storage() {
        let inputs = [
            JobInput::Train(TrainInput::Session(session_train())),
            JobInput::Test(TestInput::Training {
                train_job_id: "t1".into(),
            }),
            JobInput::DynamicsTest(DynamicsTestInput {
                label: 2,
                label_job_id: "l1".into(),
                train_job_id: "t1".into(),
            }),
        ];
        for input in inputs {
            let back = JobInput::from_stored(input.kind(), &input.to_stored()).unwrap();
            assert_eq!(back, input);
        }
    }

    #[test]
    fn rows_of_the_earlier_untyped_payloads_still_parse() {
        let test = r#"{"train_job_id": "t1", "session": {"task_name": "x"}}"#;
        assert_eq!(
            JobInput::from_stored(JobKind::Test, test).unwrap(),
            JobInput::Test(TestInput::Training {
                train_job_id: "t1".into()
            })
        );
        let train = serde_json::to_string(&session_train()).unwrap();
        assert!(matches!(
            JobInput::from_stored(JobKind::Train, &train),
            Ok(JobInput::Train(TrainInput::Session(_)))
        ));
    }

    #[test]
    fn a_payload_of_another_shape_is_an_error_naming_the_kind() {
        let error = JobInput::from_stored(JobKind::DynamicsTest, r#"{"n": 1}"#).unwrap_err();
        assert!(error.to_string().contains("dynamics_test job"), "{error}");
    }
}
