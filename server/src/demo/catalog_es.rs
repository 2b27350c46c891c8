//! The demo catalog in Spanish (Latin American, informal "tú"): one entry per entry of the
//! English lists in `catalog.rs`, in the same order, so the two are zipped by position.

pub const SAMPLES: [(&str, &str); 8] = [
    (
        "Sérum hidratante",
        "Una muestra de lujo de 10 ml del sérum con ácido hialurónico que los miembros siempre piden.",
    ),
    (
        "Crema con vitamina C",
        "Crema de día iluminadora en tamaño de viaje: te alcanza para dos semanas.",
    ),
    (
        "Labial satinado",
        "Un labial mini en el tono más canjeado de la temporada.",
    ),
    (
        "Eau de parfum",
        "Un spray de 5 ml de nuestra fragancia insignia, en un frasco recargable.",
    ),
    (
        "Mascarilla de arcilla",
        "Muestra de mascarilla de arcilla rosa para tu domingo de autocuidado.",
    ),
    (
        "Bálsamo labial de noche",
        "Un tarrito de nuestro bálsamo de noche de culto, con aroma a frutos rojos.",
    ),
    (
        "Máscara de pestañas con volumen",
        "Máscara de pestañas mini con cepillo curvo.",
    ),
    (
        "Fluido FPS 50",
        "Protector solar diario ultraligero, 15 ml.",
    ),
];

pub const EXPERIENCES: [(&str, &str); 12] = [
    (
        "Masterclass de maquillaje para dos",
        "Noventa minutos con un maquillista sénior en nuestro estudio insignia.",
    ),
    (
        "Taller de creación de fragancias",
        "Crea tu propio aroma con nuestro perfumista y llévate 30 ml a casa.",
    ),
    (
        "Consulta de cuidado de la piel y mapa facial",
        "Un análisis de piel uno a uno, con una rutina pensada solo para ti.",
    ),
    (
        "Backstage en el lanzamiento de primavera",
        "Dos pases para la noche de preestreno exclusiva para miembros.",
    ),
    (
        "Brunch con los fundadores",
        "Tu lugar en el brunch trimestral para miembros.",
    ),
    (
        "Sesión de fotos con maquillista profesional",
        "Maquillaje y tres retratos editados.",
    ),
    (
        "Paseo por el jardín de los perfumes",
        "Un recorrido guiado por el jardín botánico que inspiró nuestras fragancias florales.",
    ),
    (
        "Noche de nail art",
        "Una noche de nail art, bebidas y música para ti y un acompañante.",
    ),
    (
        "Sesión de peinado",
        "Un secado con cepillo y una clase de peinado con un estilista.",
    ),
    ("Mañana de bienestar", "Yoga, ritual de té y un minifacial."),
    (
        "Noche de compras privada",
        "Compra fuera de horario con un asesor de belleza y una copa de espumoso.",
    ),
    (
        "Adelanto: prueba de look de novia",
        "Un look de prueba con nuestro equipo de novias.",
    ),
];

pub const SERVICES: [(&str, &str); 10] = [
    (
        "Diseño de cejas",
        "Depilación con cera, tinte y diseño en cualquier tienda.",
    ),
    (
        "Facial exprés de 15 minutos",
        "Un toque de luminosidad al momento en el skin bar, sin cita previa.",
    ),
    (
        "Hora de compras personalizada",
        "Un asesor arma una rutina a la medida de tu presupuesto.",
    ),
    (
        "Envoltura de regalo por un año",
        "Cada pedido envuelto en nuestro papel insignia.",
    ),
    (
        "Lifting de pestañas",
        "Lifting y tinte de pestañas en tiendas participantes.",
    ),
    (
        "Igualación de tono",
        "Te igualamos el tono de base y corrector en tienda.",
    ),
    (
        "Escaneo de piel",
        "Un escaneo digital de tu piel con recomendaciones de productos.",
    ),
    (
        "Perfil olfativo",
        "Descubre tu familia olfativa en quince minutos.",
    ),
    (
        "Grabado de monograma",
        "Graba tus iniciales en cualquier polvera o frasco.",
    ),
    (
        "Tratamiento de manos y uñas",
        "Un masaje de manos de 20 minutos y esmaltado.",
    ),
];

pub const DISCOUNTS: [(&str, &str); 8] = [
    (
        "$10 de descuento en tu próximo pedido",
        "Se aplica al pagar en pedidos de más de $50.",
    ),
    (
        "$25 de descuento en tu próximo pedido",
        "Se aplica al pagar en pedidos de más de $100.",
    ),
    (
        "15% de descuento en cuidado de la piel",
        "Un pedido, de cualquier marca de cuidado de la piel.",
    ),
    (
        "20% de descuento en fragancias",
        "Un pedido de fragancias, de cualquier tamaño.",
    ),
    (
        "$15 de descuento en cuidado del cabello",
        "Un pedido de cuidado del cabello de más de $45.",
    ),
    (
        "Fin de semana de puntos dobles",
        "Gana dos puntos por dólar durante un fin de semana.",
    ),
    (
        "$5 de descuento en un servicio",
        "En cualquier servicio en tienda.",
    ),
    (
        "10% de descuento en herramientas y brochas",
        "Un pedido de herramientas.",
    ),
];

pub const SHIPPING: [(&str, &str); 5] = [
    (
        "Envío gratis por 3 meses",
        "Envío estándar en todos tus pedidos durante tres meses.",
    ),
    (
        "Envío exprés gratis",
        "Un pedido entregado al día siguiente.",
    ),
    (
        "Envío gratis por un año",
        "Envío estándar en todos tus pedidos durante doce meses.",
    ),
    (
        "Entrega el mismo día gratis",
        "Un pedido entregado el mismo día, donde esté disponible.",
    ),
    (
        "Recolección de devolución gratis",
        "Pasamos por tu devolución sin costo en un pedido.",
    ),
];

pub const GIFTS: [(&str, &str); 12] = [
    (
        "Neceser de viaje",
        "Un neceser impermeable donde cabe toda tu rutina.",
    ),
    (
        "Set de minifragancias",
        "Cinco sprays de 5 ml para que pruebes antes de decidirte.",
    ),
    (
        "Set de scrunchies de seda",
        "Tres scrunchies de seda de morera.",
    ),
    (
        "Kit de brochas de bambú",
        "Seis brochas en un estuche enrollable.",
    ),
    ("Dúo de velas", "Dos velas de 80 g, de higo y ámbar."),
    (
        "Rodillo de jade",
        "Un rodillo facial refrescante con bolsita de terciopelo.",
    ),
    (
        "Bolsa tote",
        "Tote de lona resistente con el logo de bazaar.",
    ),
    ("Espejo de tocador", "Un espejo plegable con luz LED."),
    (
        "Toalla para el cabello",
        "Un turbante de microfibra para el cabello.",
    ),
    (
        "Caja de ritual de baño",
        "Sales, aceite y una bomba de baño.",
    ),
    (
        "Espejo compacto",
        "Espejo compacto de latón que puedes personalizar con grabado.",
    ),
    (
        "Antifaz para dormir",
        "Antifaz de seda con su bolsita a juego.",
    ),
];

/// The cities of the experiences, as Spanish readers write them, by English name.
pub fn city(english: &str) -> &str {
    match english {
        "New York" => "Nueva York",
        other => other,
    }
}

/// Where a service is given, by the English phrase.
pub fn place(english: &str) -> &str {
    match english {
        "in store" => "en tienda",
        "at the skin bar" => "en el skin bar",
        other => other,
    }
}

/// "Aurora sample": "Muestra de sérum hidratante Aurora".
pub fn sample_title(brand: &str, name: &str) -> String {
    let mut chars = name.chars();
    let name = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("Muestra de {name} {brand}")
}

/// A weekly drop's Spanish title, as "Drop del martes · 3 de diciembre".
pub fn drop_title(weekday: chrono::Weekday, day: u32, month0: u32) -> String {
    const DAYS: [&str; 7] = [
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
        "domingo",
    ];
    const MONTHS: [&str; 12] = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    let weekday = DAYS[weekday.num_days_from_monday() as usize];
    let month = MONTHS[month0 as usize % 12];
    format!("Drop del {weekday} · {day} de {month}")
}
