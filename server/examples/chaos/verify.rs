//! After a run, with PostgreSQL and both servers back: every acknowledged redemption is in the
//! database, confirmed, for its member, item and key; nothing is in the database that a member
//! was not given (or was told was refused); a replay of every acknowledged key answers the same
//! code; the database's invariants and the per-member limits hold.

use std::collections::HashMap;

use futures::StreamExt;
use sqlx::PgPool;

use crate::clients::{Done, Outcome, Tally, Target, http, press_until_answered};

pub struct Checked {
    pub violations: Vec<String>,
    pub replays: usize,
}

pub async fn check(pool: &PgPool, target: &Target, done: &[Done]) -> Checked {
    let mut violations = Vec::new();

    // What the members were told, by (account, key).
    let mut told: HashMap<(i64, String), (&Done, &Outcome)> = HashMap::new();
    for d in done {
        let account = target.members[d.intent.member].0;
        told.insert((account, d.intent.key.to_string()), (d, &d.outcome));
        if let Outcome::Unresolved(last) = &d.outcome {
            violations.push(format!(
                "press never answered definitively (member {account}, item {}, key {}): {last}",
                target.items[d.intent.item], d.intent.key
            ));
        }
    }

    let rows: Vec<(String, i64, i64, String, String)> = match sqlx::query_as(
        "SELECT code, account_id, drop_item_id, idempotency_key::text, status FROM redemptions",
    )
    .fetch_all(pool)
    .await
    {
        Ok(rows) => rows,
        Err(e) => {
            violations.push(format!("reading the redemptions: {e}"));
            return Checked {
                violations,
                replays: 0,
            };
        }
    };
    let by_code: HashMap<&str, &(String, i64, i64, String, String)> =
        rows.iter().map(|r| (r.0.as_str(), r)).collect();

    // Every acknowledgement is in the database, confirmed, as acknowledged.
    for d in done {
        let Outcome::Ack(code) = &d.outcome else {
            continue;
        };
        let account = target.members[d.intent.member].0;
        let item = target.items[d.intent.item];
        let key = d.intent.key.to_string();
        match by_code.get(code.as_str()) {
            None => violations.push(format!(
                "acknowledged redemption {code} (member {account}, item {item}, key {key}, answered at {} ms) is not in the database",
                d.answered_ms
            )),
            Some((_, a, i, k, status)) => {
                if (*a, *i, k.as_str(), status.as_str()) != (account, item, key.as_str(), "confirmed") {
                    violations.push(format!(
                        "acknowledged redemption {code} (member {account}, item {item}, key {key}) is in the database as member {a}, item {i}, key {k}, {status}"
                    ));
                }
            }
        }
    }

    // Nothing in the database that its member was not given.
    for (code, account, item, key, status) in &rows {
        match told.get(&(*account, key.clone())) {
            Some((_, Outcome::Ack(given))) if given == code => {}
            Some((_, Outcome::Ack(given))) => violations.push(format!(
                "member {account}'s key {key} was acknowledged with {given} but the database has {code} ({status}, item {item})"
            )),
            Some((_, Outcome::Refused(kind))) => violations.push(format!(
                "member {account} was told {kind} for key {key}, but redemption {code} ({status}, item {item}) was made with it"
            )),
            Some((_, Outcome::Unresolved(_))) => {}
            None => violations.push(format!(
                "redemption {code} (member {account}, item {item}, key {key}, {status}) was made with a key no client used"
            )),
        }
    }

    // The database's own invariants, as the tests and the benchmark check them.
    match server::invariants::violations(pool).await {
        Ok(broken) => violations.extend(broken.into_iter().map(|b| format!("invariant: {b}"))),
        Err(e) => violations.push(format!("checking the invariants: {e}")),
    }
    let over: Vec<(i64, i64, i64, i32)> = sqlx::query_as(
        "SELECT r.account_id, r.drop_item_id, count(*), di.per_member_limit
         FROM redemptions r JOIN drop_items di ON di.id = r.drop_item_id
         WHERE r.status = 'confirmed'
         GROUP BY r.account_id, r.drop_item_id, di.per_member_limit
         HAVING count(*) > di.per_member_limit",
    )
    .fetch_all(pool)
    .await
    .unwrap_or_else(|e| {
        violations.push(format!("checking the per-member limits: {e}"));
        Vec::new()
    });
    for (account, item, n, limit) in over {
        violations.push(format!(
            "member {account} has {n} confirmed redemptions of item {item}, limit {limit}"
        ));
    }

    // A replay of every acknowledged key, to either server: the same code, nothing new.
    let acks: Vec<&Done> = done
        .iter()
        .filter(|d| matches!(d.outcome, Outcome::Ack(_)))
        .collect();
    let client = http();
    let replayed: Vec<(String, Outcome, Tally)> = futures::stream::iter(acks.iter().enumerate())
        .map(|(n, d)| {
            let client = client.clone();
            async move {
                let mut tally = Tally::default();
                let outcome = press_until_answered(
                    &client,
                    target,
                    d.intent.member,
                    d.intent.item,
                    &d.intent.key.to_string(),
                    n % 2,
                    &mut tally,
                )
                .await;
                let Outcome::Ack(code) = &d.outcome else {
                    unreachable!()
                };
                (code.clone(), outcome, tally)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    for (code, outcome, _) in &replayed {
        match outcome {
            Outcome::Ack(again) if again == code => {}
            other => violations.push(format!(
                "replay of the key acknowledged with {code} answered {other:?}"
            )),
        }
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM redemptions")
        .fetch_one(pool)
        .await
        .unwrap_or(-1);
    if after != rows.len() as i64 {
        violations.push(format!(
            "the replays changed the number of redemptions from {} to {after}",
            rows.len()
        ));
    }

    Checked {
        violations,
        replays: replayed.len(),
    }
}
