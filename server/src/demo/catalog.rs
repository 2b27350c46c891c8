//! The demo store's reward catalog: believable names, descriptions and prices per category.

use super::catalog_es as es;

/// One demo reward, written in English and in Spanish.
pub struct RewardSeed {
    pub category: &'static str,
    pub title: String,
    pub description: String,
    pub title_es: String,
    pub description_es: String,
    pub points_cost: i64,
}

/// A seed from its category, (title, description) in English and in Spanish, and cost.
fn seed(
    category: &'static str,
    (title, description): (String, &str),
    (title_es, description_es): (String, &str),
    points_cost: i64,
) -> RewardSeed {
    RewardSeed {
        category,
        title,
        description: description.to_owned(),
        title_es,
        description_es: description_es.to_owned(),
        points_cost,
    }
}

const BRANDS: [&str; 10] = [
    "Aurora",
    "Sol & Sea",
    "Kindred",
    "Hollis",
    "Marlowe",
    "Verdant",
    "Ostra",
    "Juniper Lane",
    "Noor",
    "Fable",
];

const SAMPLES: [(&str, &str); 8] = [
    (
        "Hydrating serum",
        "A deluxe 10 ml sample of the hyaluronic serum members keep asking about.",
    ),
    (
        "Vitamin C cream",
        "Brightening day cream, travel size — enough for two weeks.",
    ),
    (
        "Satin lipstick",
        "A mini lipstick in this season's most-redeemed shade.",
    ),
    (
        "Eau de parfum",
        "A 5 ml spray of the signature scent, in a refillable vial.",
    ),
    ("Clay mask", "Pink clay mask sample for a Sunday reset."),
    (
        "Overnight lip balm",
        "A pot of the cult overnight balm, berry scented.",
    ),
    ("Volumising mascara", "Mini mascara with the curved brush."),
    ("SPF 50 fluid", "Weightless daily sunscreen, 15 ml."),
];

const EXPERIENCES: [(&str, &str); 12] = [
    (
        "Makeup masterclass for two",
        "Ninety minutes with a senior artist in our flagship studio.",
    ),
    (
        "Fragrance blending workshop",
        "Compose your own scent with our perfumer; take home 30 ml.",
    ),
    (
        "Skincare consultation and facial map",
        "A one-to-one skin analysis with a routine written for you.",
    ),
    (
        "Backstage at the spring launch",
        "Two passes to the members' preview night.",
    ),
    (
        "Brunch with the founders",
        "Seats at the quarterly members' brunch.",
    ),
    (
        "Photo shoot with a pro artist",
        "Makeup and three edited portraits.",
    ),
    (
        "Perfume garden walk",
        "A guided walk through the botanical garden that inspired our florals.",
    ),
    (
        "Nail art evening",
        "An evening of nail art, drinks and music for you and a friend.",
    ),
    (
        "Hair styling session",
        "A blow-dry and styling lesson with a stylist.",
    ),
    ("Wellness morning", "Yoga, tea ritual and a mini facial."),
    (
        "Private shopping night",
        "Shop after hours with a beauty advisor and bubbles.",
    ),
    ("Bridal trial preview", "A trial look with our bridal team."),
];

const SERVICES: [(&str, &str); 10] = [
    ("Brow shaping", "Wax, tint and shape at any store."),
    (
        "15-minute express facial",
        "A quick glow at the skin bar, no booking needed.",
    ),
    (
        "Personal shopping hour",
        "An advisor builds a routine around your budget.",
    ),
    (
        "Gift wrapping for a year",
        "Every order wrapped in our signature paper.",
    ),
    ("Lash lift", "A lash lift and tint at participating stores."),
    ("Colour match", "Foundation and concealer matched in store."),
    ("Skin scan", "A digital skin scan with product notes."),
    (
        "Fragrance profiling",
        "Find your scent family in fifteen minutes.",
    ),
    (
        "Monogram engraving",
        "Engrave initials on any compact or bottle.",
    ),
    (
        "Hand and nail treatment",
        "A 20-minute hand massage and polish.",
    ),
];

const DISCOUNTS: [(&str, &str); 8] = [
    (
        "$10 off your next order",
        "Applied at checkout on orders over $50.",
    ),
    (
        "$25 off your next order",
        "Applied at checkout on orders over $100.",
    ),
    ("15% off skincare", "One order, any skincare brand."),
    ("20% off fragrance", "One order of fragrance, any size."),
    ("$15 off haircare", "One order of haircare over $45."),
    (
        "Double points weekend",
        "Earn two points per dollar for one weekend.",
    ),
    ("$5 off a service", "Any in-store service."),
    ("10% off tools and brushes", "One order of tools."),
];

const SHIPPING: [(&str, &str); 5] = [
    (
        "Free shipping for 3 months",
        "Standard shipping on every order for three months.",
    ),
    ("Free express shipping", "One order delivered next day."),
    (
        "Free shipping for a year",
        "Standard shipping on every order for twelve months.",
    ),
    (
        "Free same-day delivery",
        "One order delivered the same day where available.",
    ),
    ("Free returns upgrade", "Free return pickup on one order."),
];

const GIFTS: [(&str, &str); 12] = [
    (
        "Travel pouch",
        "A waterproof pouch that fits a full routine.",
    ),
    (
        "Mini fragrance set",
        "Five 5 ml sprays to try before you commit.",
    ),
    ("Silk scrunchie set", "Three mulberry silk scrunchies."),
    ("Bamboo brush kit", "Six brushes in a roll-up case."),
    ("Candle duo", "Two 80 g candles, fig and amber."),
    ("Jade roller", "A cooling facial roller with a velvet bag."),
    ("Tote bag", "Heavy canvas tote with the bazaar mark."),
    ("Vanity mirror", "A folding LED mirror."),
    ("Hair towel", "A microfibre hair wrap."),
    ("Bath ritual box", "Salts, oil and a bath bomb."),
    ("Compact mirror", "Engravable brass compact."),
    ("Sleep mask", "Silk sleep mask with a matching pouch."),
];

/// Exactly `count` distinct rewards spread over the six categories.
pub fn rewards(count: usize, rng: &mut fastrand::Rng) -> Vec<RewardSeed> {
    let mut all: Vec<RewardSeed> = Vec::new();
    for brand in BRANDS {
        for (&(name, desc), &(name_es, desc_es)) in SAMPLES.iter().zip(&es::SAMPLES) {
            all.push(seed(
                "sample",
                (format!("{brand} {name} sample"), desc),
                (es::sample_title(brand, name_es), desc_es),
                50 * rng.i64(4..=16),
            ));
        }
    }
    for (i, (&(name, desc), &(name_es, desc_es))) in
        EXPERIENCES.iter().zip(&es::EXPERIENCES).enumerate()
    {
        for city in ["New York", "Brooklyn"] {
            let cost = 500 * rng.i64(5..=20);
            all.push(seed(
                "experience",
                (format!("{name} · {city}"), desc),
                (format!("{name_es} · {}", es::city(city)), desc_es),
                cost + i as i64 * 10,
            ));
        }
    }
    for (&(name, desc), &(name_es, desc_es)) in SERVICES.iter().zip(&es::SERVICES) {
        for place in ["in store", "at the skin bar"] {
            all.push(seed(
                "service",
                (format!("{name} {place}"), desc),
                (format!("{name_es} {}", es::place(place)), desc_es),
                250 * rng.i64(4..=12),
            ));
        }
    }
    for (&(name, desc), &(name_es, desc_es)) in DISCOUNTS.iter().zip(&es::DISCOUNTS) {
        all.push(seed(
            "discount",
            (name.to_owned(), desc),
            (name_es.to_owned(), desc_es),
            100 * rng.i64(5..=30),
        ));
        all.push(seed(
            "discount",
            (format!("{name} (members' week)"), desc),
            (format!("{name_es} (semana de miembros)"), desc_es),
            100 * rng.i64(5..=30),
        ));
    }
    for (&(name, desc), &(name_es, desc_es)) in SHIPPING.iter().zip(&es::SHIPPING) {
        all.push(seed(
            "free_shipping",
            (name.to_owned(), desc),
            (name_es.to_owned(), desc_es),
            100 * rng.i64(3..=25),
        ));
    }
    for brand in BRANDS {
        let gifts = GIFTS.iter().zip(&es::GIFTS);
        for (&(name, desc), &(name_es, desc_es)) in gifts.skip(brand.len() % 4).step_by(3) {
            all.push(seed(
                "gift",
                (format!("{brand} {}", name.to_lowercase()), desc),
                (format!("{name_es} {brand}"), desc_es),
                250 * rng.i64(3..=16),
            ));
        }
    }
    // Keep every category, then take a varied slice of the rest.
    rng.shuffle(&mut all);
    let mut chosen: Vec<RewardSeed> = Vec::with_capacity(count);
    for category in [
        "sample",
        "experience",
        "service",
        "discount",
        "free_shipping",
        "gift",
    ] {
        if let Some(i) = all.iter().position(|r| r.category == category) {
            chosen.push(all.swap_remove(i));
        }
    }
    chosen.extend(all.into_iter().take(count.saturating_sub(chosen.len())));
    chosen
}

pub const FIRST_NAMES: [&str; 40] = [
    "Ana", "Ben", "Chloe", "Diego", "Elena", "Farah", "Gabriel", "Hana", "Ibrahim", "Julia", "Kai",
    "Lucia", "Malik", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor",
    "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Carmen", "Dev", "Esme", "Felix", "Grace",
    "Hugo", "Ines", "Jonah", "Leila", "Mateo", "Naomi", "Owen",
];

pub const LAST_NAMES: [&str; 30] = [
    "Garcia", "Smith", "Nguyen", "Okafor", "Rossi", "Kim", "Silva", "Cohen", "Patel", "Müller",
    "Haddad", "Lopez", "Brown", "Ivanova", "Tanaka", "Walker", "Costa", "Ahmed", "Novak", "Dubois",
    "Jensen", "Reyes", "Chen", "Murphy", "Schmidt", "Ali", "Moreau", "Santos", "Park", "Wright",
];
