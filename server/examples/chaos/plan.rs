//! One run's plan, drawn from its seed alone: the drop, the members, every press and when it is
//! made, and the faults and when they land. The same seed gives the same plan (the timing of
//! what the servers and PostgreSQL do with it is the machine's).

use std::fmt::Write as _;

use uuid::Uuid;

pub struct ItemPlan {
    pub quantity: i32,
    pub limit: i32,
    pub cost: i64,
}

/// One intended press of Redeem: one idempotency key, kept across every retry.
#[derive(Clone)]
pub struct Intent {
    pub member: usize,
    pub item: usize,
    pub key: Uuid,
    /// Milliseconds into the run when the member presses.
    pub at_ms: u64,
    /// The server the first try goes to; retries alternate.
    pub first_server: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Aim {
    /// Watch `pg_stat_activity` and kill while a redemption batch is committing (or, failing
    /// that within the window, while one is open).
    Commit,
    /// Kill at the planned moment, whatever is in flight.
    Blind,
}

#[derive(Clone, Copy)]
pub enum FaultKind {
    KillServer(usize),
    KillPostgres(Aim),
}

#[derive(Clone, Copy)]
pub struct Fault {
    pub kind: FaultKind,
    pub at_ms: u64,
    /// How long the killed process stays down before it is started again.
    pub down_ms: u64,
}

pub struct Plan {
    pub items: Vec<ItemPlan>,
    /// Each member's points.
    pub members: Vec<i64>,
    pub intents: Vec<Intent>,
    pub faults: Vec<Fault>,
    pub clients: usize,
    pub bursts: Vec<u64>,
}

/// A UUID (version 4 layout) from the run's generator, so a seed replays the same keys.
fn key(rng: &mut fastrand::Rng) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes.iter_mut().for_each(|b| *b = rng.u8(..));
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

impl Plan {
    /// Whether a run with this seed kills PostgreSQL: two runs in three (by the seed, so a
    /// replay of one run does the same).
    pub fn kills_postgres(seed: u64) -> bool {
        seed % 3 != 2
    }

    pub fn new(seed: u64, seconds: f64) -> Plan {
        let mut rng = fastrand::Rng::with_seed(seed);
        let run_ms = (seconds * 1000.0) as u64;
        let between = |rng: &mut fastrand::Rng, from: f64, to: f64| {
            rng.u64((from * run_ms as f64) as u64..=(to * run_ms as f64) as u64)
        };

        let items: Vec<ItemPlan> = (0..rng.usize(1..=3))
            .map(|_| ItemPlan {
                quantity: rng.i32(20..=200),
                limit: rng.i32(1..=2),
                cost: rng.i64(5..=50) * 10,
            })
            .collect();
        // Enough points for everything a member may take, or (one member in five) a random
        // amount that may not cover even one unit.
        let enough: i64 = items.iter().map(|i| i.cost * i64::from(i.limit)).sum();
        let max_cost = items.iter().map(|i| i.cost).max().unwrap_or(0);
        let members: Vec<i64> = (0..rng.usize(200..=500))
            .map(|_| {
                if rng.f64() < 0.2 {
                    rng.i64(0..=max_cost * 2)
                } else {
                    enough + rng.i64(0..=500)
                }
            })
            .collect();

        let bursts: Vec<u64> = {
            let mut b: Vec<u64> = (0..rng.usize(2..=3))
                .map(|_| between(&mut rng, 0.1, 0.7))
                .collect();
            b.sort_unstable();
            b
        };

        // Demand of one to two times the stock, so the drop sells out during the run, often
        // late: members press an item 1 to limit+1 times (the last over their limit).
        let stock: i32 = items.iter().map(|i| i.quantity).sum();
        let target = f64::from(stock) * (1.0 + rng.f64());
        let per_pair: f64 = items
            .iter()
            .map(|i| (f64::from(i.limit) + 2.0) / 2.0)
            .sum::<f64>()
            / items.len() as f64;
        let chance = (target / (members.len() * items.len()) as f64 / per_pair).min(1.0);
        let mut intents = Vec::new();
        for member in 0..members.len() {
            for (item, plan) in items.iter().enumerate() {
                if rng.f64() >= chance {
                    continue;
                }
                for _ in 0..rng.i32(1..=plan.limit + 1) {
                    // Half the presses come in bursts (a drop's crowd), half spread over the run.
                    let at_ms = if rng.bool() {
                        let center = bursts[rng.usize(0..bursts.len())];
                        center.saturating_sub(250) + rng.u64(0..=500)
                    } else {
                        between(&mut rng, 0.0, 0.85)
                    };
                    intents.push(Intent {
                        member,
                        item,
                        key: key(&mut rng),
                        at_ms,
                        first_server: rng.usize(0..2),
                    });
                }
            }
        }
        intents.sort_by_key(|i| i.at_ms);

        // Every run kills one server during a burst (or at a random moment); one run in four
        // kills the other one later too; two runs in three kill PostgreSQL.
        let mut faults = Vec::new();
        let which = rng.usize(0..2);
        let at_ms = if rng.f64() < 0.7 {
            (bursts[rng.usize(0..bursts.len())] + rng.u64(0..=200)).saturating_sub(100)
        } else {
            between(&mut rng, 0.1, 0.7)
        };
        faults.push(Fault {
            kind: FaultKind::KillServer(which),
            at_ms: at_ms.max(200),
            down_ms: rng.u64(200..=1500),
        });
        if rng.f64() < 0.25 {
            faults.push(Fault {
                kind: FaultKind::KillServer(1 - which),
                at_ms: between(&mut rng, 0.1, 0.8).max(200),
                down_ms: rng.u64(200..=1000),
            });
        }
        if Plan::kills_postgres(seed) {
            let aim = if rng.f64() < 0.75 {
                Aim::Commit
            } else {
                Aim::Blind
            };
            let at_ms = match aim {
                // Start watching just before a burst.
                Aim::Commit => bursts[rng.usize(0..bursts.len())].saturating_sub(100),
                Aim::Blind => between(&mut rng, 0.1, 0.7),
            };
            faults.push(Fault {
                kind: FaultKind::KillPostgres(aim),
                at_ms: at_ms.max(200),
                down_ms: rng.u64(300..=2000),
            });
        }
        faults.sort_by_key(|f| f.at_ms);

        Plan {
            items,
            members,
            intents,
            faults,
            clients: rng.usize(64..=200),
            bursts,
        }
    }

    /// "2 items (q 120 ≤1 @300, q 40 ≤2 @150), 350 members (70 short), 412 presses, 130 clients"
    pub fn describe(&self) -> String {
        let mut s = format!("{} item(s) (", self.items.len());
        for (n, i) in self.items.iter().enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            write!(
                s,
                "{sep}qty {} limit {} cost {}",
                i.quantity, i.limit, i.cost
            )
            .unwrap();
        }
        let enough: i64 = self.items.iter().map(|i| i.cost * i64::from(i.limit)).sum();
        let short = self.members.iter().filter(|p| **p < enough).count();
        write!(
            s,
            "), {} members ({short} short of points), {} presses, {} clients, bursts at {:?} ms",
            self.members.len(),
            self.intents.len(),
            self.clients,
            self.bursts
        )
        .unwrap();
        s
    }
}
