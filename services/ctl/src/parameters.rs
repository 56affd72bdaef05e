//! Parameter groups: create, modify (applied live by every node of every group that uses
//! the set: they watch it), describe.

use rg_bus::{Bus, BusErrorKind};
use rg_proto::events::EventName;
use rg_proto::registry::{
    GroupRecord, ParameterGroup, GROUPS_BUCKET, LIVE_PARAMETERS, PARAMETER_GROUPS_BUCKET,
};
use rg_proto::GroupId;
use serde_json::json;

use crate::cli::{CreateParameters, DescribeParameters, ModifyParameters};
use crate::failure::Failure;
use crate::report::Report;

pub async fn create(bus: &Bus, args: &CreateParameters) -> Result<Report, Failure> {
    let name = checked_name(&args.cache_parameter_group_name)?;
    let group = ParameterGroup {
        name: name.clone(),
        family: args.cache_parameter_group_family.clone(),
        description: args.description.clone(),
        parameters: Default::default(),
    };
    let store = crate::bucket(bus, PARAMETER_GROUPS_BUCKET).await?;
    match store.create(&name, &group).await {
        Ok(_) => {}
        Err(e) if e.kind() == BusErrorKind::Conflict => {
            return Err(Failure::refused(format!(
                "CacheParameterGroupAlreadyExists: parameter group {name} already exists"
            )))
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Report {
        json: json!({ "CacheParameterGroup": {
            "CacheParameterGroupName": name,
            "CacheParameterGroupFamily": group.family,
            "Description": group.description,
        }}),
        headers: vec!["NAME", "FAMILY"],
        rows: vec![vec![name, group.family]],
    })
}

pub async fn modify(bus: &Bus, prefix: &str, args: &ModifyParameters) -> Result<Report, Failure> {
    let name = checked_name(&args.cache_parameter_group_name)?;
    let changes = args
        .parameter_name_values
        .iter()
        .map(|pair| parse_pair(pair))
        .collect::<Result<Vec<_>, _>>()?;
    let store = crate::bucket(bus, PARAMETER_GROUPS_BUCKET).await?;
    for _ in 0..5 {
        let Some((mut group, revision)) = store.get::<ParameterGroup>(&name).await? else {
            return Err(not_found(&name));
        };
        for (parameter, value) in &changes {
            group.parameters.insert(parameter.clone(), value.clone());
        }
        match store.update(&name, &group, revision).await {
            Ok(_) => {
                announce(bus, prefix, &name, &changes).await;
                return Ok(Report {
                    json: json!({ "CacheParameterGroupName": name }),
                    headers: vec!["NAME"],
                    rows: vec![vec![name.clone()]],
                });
            }
            Err(e) if e.kind() == BusErrorKind::Conflict => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::refused(format!(
        "parameter group {name} kept changing under this modification; try again"
    )))
}

pub async fn describe(bus: &Bus, args: &DescribeParameters) -> Result<Report, Failure> {
    let name = checked_name(&args.cache_parameter_group_name)?;
    let store = crate::bucket(bus, PARAMETER_GROUPS_BUCKET).await?;
    let Some((group, _)) = store.get::<ParameterGroup>(&name).await? else {
        return Err(not_found(&name));
    };
    let parameters: Vec<_> = LIVE_PARAMETERS
        .iter()
        .map(|parameter| {
            let value = group.parameters.get(*parameter);
            json!({
                "ParameterName": parameter,
                "ParameterValue": value,
                "Source": if value.is_some() { "user" } else { "system" },
                "IsModifiable": true,
                "ChangeType": "immediate",
            })
        })
        .collect();
    let rows = group
        .parameters
        .iter()
        .map(|(k, v)| vec![k.clone(), v.clone()])
        .collect();
    Ok(Report {
        json: json!({ "Parameters": parameters }),
        headers: vec!["PARAMETER", "VALUE"],
        rows,
    })
}

/// Checks that a parameter group exists (create-replication-group --cache-parameter-group).
pub async fn exists(bus: &Bus, name: &str) -> Result<(), Failure> {
    let store = crate::bucket(bus, PARAMETER_GROUPS_BUCKET).await?;
    match store.get::<ParameterGroup>(name).await? {
        Some(_) => Ok(()),
        None => Err(not_found(name)),
    }
}

/// One CacheClusterParametersChanged event per group that uses the set.
async fn announce(bus: &Bus, prefix: &str, name: &str, changes: &[(String, String)]) {
    let Ok(registry) = crate::bucket(bus, GROUPS_BUCKET).await else {
        return;
    };
    let Ok(ids) = registry.keys().await else {
        return;
    };
    for id in ids {
        let Ok(Some((record, _))) = registry.get::<GroupRecord>(&id).await else {
            continue;
        };
        if record.parameter_group != name {
            continue;
        }
        let Ok(group) = GroupId::new(&id) else {
            continue;
        };
        let details = json!({ "CacheParameterGroupName": name, "Parameters": changes });
        crate::modify::publish(
            bus,
            prefix,
            &group,
            EventName::CacheClusterParametersChanged,
            details,
        )
        .await;
    }
}

fn checked_name(name: &str) -> Result<String, Failure> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(name.to_string())
    } else {
        Err(Failure::usage(format!(
            "--cache-parameter-group-name {name}: use letters, digits, '-' and '_'"
        )))
    }
}

/// `ParameterName=N,ParameterValue=V`, N one of the live parameters.
fn parse_pair(pair: &str) -> Result<(String, String), Failure> {
    let bad = || {
        Failure::usage(format!(
            "--parameter-name-values {pair}: expected ParameterName=N,ParameterValue=V"
        ))
    };
    let (name, value) = pair.split_once(',').ok_or_else(bad)?;
    let name = name.strip_prefix("ParameterName=").ok_or_else(bad)?;
    let value = value.strip_prefix("ParameterValue=").ok_or_else(bad)?;
    if !LIVE_PARAMETERS.contains(&name) {
        return Err(Failure::usage(format!(
            "--parameter-name-values: {name} is not a parameter rgroup applies (one of: {})",
            LIVE_PARAMETERS.join(", ")
        )));
    }
    Ok((name.to_string(), value.to_string()))
}

fn not_found(name: &str) -> Failure {
    Failure::refused(format!(
        "CacheParameterGroupNotFound: parameter group {name} not found (create-cache-parameter-group makes one)"
    ))
}
