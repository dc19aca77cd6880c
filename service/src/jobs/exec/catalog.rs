//! What this build can train and label, from the algorithm library: the source of
//! getParameters and of the train route's checks.

use serde::Serialize;

use crate::algo;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Catalog {
    pub tasks: Vec<String>,
    /// Qualified `"<task>:<agent>"` names.
    pub agents: Vec<String>,
    pub optimizers: Vec<String>,
    pub losses: Vec<String>,
    /// Built-in datasets, qualified `"<task>:<name>"`, with their date ranges. The service
    /// ships no market data, so this is empty: data comes from uploads (`custom:<name>`).
    pub datasets: Vec<BuiltinDataset>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BuiltinDataset {
    pub name: String,
    pub start_date: String,
    pub end_date: String,
}

pub fn catalog() -> Catalog {
    let library = algo::catalog();
    Catalog {
        tasks: library.tasks.iter().map(|t| t.name.clone()).collect(),
        agents: library.qualified_agents(),
        optimizers: library.optimizers,
        losses: library.losses,
        datasets: Vec::new(),
    }
}
