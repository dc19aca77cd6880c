//! `tmctl profiles`: one line per usable profile.

use super::Context;
use crate::output::table;

pub fn run(context: &Context) -> anyhow::Result<()> {
    let listings = context.store().list();
    if context.global.json {
        super::print_json(&listings)?;
        return Ok(());
    }
    let rows: Vec<Vec<String>> = listings
        .iter()
        .map(|listing| {
            let description = match &listing.extends {
                Some(parent) => format!("{} (extends {parent})", listing.description),
                None => listing.description.clone(),
            };
            vec![listing.name.clone(), listing.source.clone(), description]
        })
        .collect();
    println!("{}", table(&["PROFILE", "SOURCE", "DESCRIPTION"], &rows));
    Ok(())
}
