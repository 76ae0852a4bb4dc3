//! Holiday calendars, computed by the rule the law gives (not a list per year),
//! so they work for any year and can be checked against published lists.
//!
//! Each calendar is a table of rules with the sources it was built from.
//! Where a calendar was not checked against an official list it is tagged
//! UNVERIFIED (COMPLIANCE.md §12) and includes doubtful dates, because a
//! wrongly blocked day costs a day of contact while a wrongly open day is a
//! violation.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::decision::Backing;

/// How one holiday's date is found in a given year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayRule {
    /// Always on this month/day.
    Fixed { month: u32, day: u32 },
    /// Colombia Ley 51/1983 art. 1: moved to the following Monday unless it is a Monday
    /// (also when it falls on a Sunday).
    NextMonday { month: u32, day: u32 },
    /// Easter Sunday plus `days` (negative = before).
    Easter { days: i64 },
    /// Easter-based date moved to the following Monday unless it is a Monday.
    EasterNextMonday { days: i64 },
    /// Chile Ley 19.668: Tuesday/Wednesday/Thursday → Monday of the same week,
    /// Friday → following Monday; otherwise on the date.
    ChileMonday { month: u32, day: u32 },
    /// Chile Ley 20.299 (31 Oct): Tuesday → previous Friday, Wednesday → next Friday.
    ChileReformation,
    /// On this date only when it falls on the given weekday (Chile Ley 20.215:
    /// 17 Sep if Monday, 20 Sep if Friday).
    IfWeekday {
        month: u32,
        day: u32,
        weekday: Weekday,
    },
    /// Chile Ley 21.357 (Día de los Pueblos Indígenas): the day of the June solstice
    /// in Chile. Tabulated 2025–2030 from the astronomical solstice instants; for other
    /// years both 20 and 21 June are blocked (conservative).
    ChileSolstice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HolidayDef {
    pub name: &'static str,
    pub rule: HolidayRule,
}

/// A named calendar of holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HolidayCalendar {
    pub id: &'static str,
    pub name: &'static str,
    pub backing: Backing,
    pub sources: &'static [&'static str],
    pub holidays: &'static [HolidayDef],
}

const fn fixed(name: &'static str, month: u32, day: u32) -> HolidayDef {
    HolidayDef {
        name,
        rule: HolidayRule::Fixed { month, day },
    }
}
const fn next_monday(name: &'static str, month: u32, day: u32) -> HolidayDef {
    HolidayDef {
        name,
        rule: HolidayRule::NextMonday { month, day },
    }
}
const fn easter(name: &'static str, days: i64) -> HolidayDef {
    HolidayDef {
        name,
        rule: HolidayRule::Easter { days },
    }
}

/// Colombia, Ley 51 de 1983 ("Ley Emiliani") arts. 1–2.
pub const CO_LEY_51_1983: HolidayCalendar = HolidayCalendar {
    id: "co_ley_51_1983",
    name: "Colombia festivos (Ley 51 de 1983)",
    backing: Backing::VPrimary,
    sources: &[
        "https://www.infobae.com/colombia/2025/10/11/festivo-de-reyes-cambia-de-fecha-en-2026-por-la-ley-emiliani-detalles-de-la-normativa/",
        "https://www.elcolombiano.com/inicio/colombia-festivos-2026-asi-queda-caldendario-otro-ano-MM29079126",
        "https://www.festivos.com.co/calendario/2026",
    ],
    holidays: &[
        fixed("Año Nuevo", 1, 1),
        next_monday("Reyes Magos", 1, 6),
        next_monday("San José", 3, 19),
        easter("Jueves Santo", -3),
        easter("Viernes Santo", -2),
        fixed("Día del Trabajo", 5, 1),
        HolidayDef {
            name: "Ascensión del Señor",
            rule: HolidayRule::EasterNextMonday { days: 39 },
        },
        HolidayDef {
            name: "Corpus Christi",
            rule: HolidayRule::EasterNextMonday { days: 60 },
        },
        HolidayDef {
            name: "Sagrado Corazón",
            rule: HolidayRule::EasterNextMonday { days: 68 },
        },
        next_monday("San Pedro y San Pablo", 6, 29),
        fixed("Independencia", 7, 20),
        fixed("Batalla de Boyacá", 8, 7),
        next_monday("Asunción de la Virgen", 8, 15),
        next_monday("Día de la Raza", 10, 12),
        next_monday("Todos los Santos", 11, 1),
        next_monday("Independencia de Cartagena", 11, 11),
        fixed("Inmaculada Concepción", 12, 8),
        fixed("Navidad", 12, 25),
    ],
};

/// Peru national holidays (Decreto Legislativo 713 and later laws). Not checked
/// against an official list (COMPLIANCE.md §5, §12.9): UNVERIFIED, and includes the
/// recently added dates (7 Jun, 23 Jul, 6 Aug, 9 Dec) conservatively.
pub const PE_NATIONAL: HolidayCalendar = HolidayCalendar {
    id: "pe_national",
    name: "Perú feriados nacionales",
    backing: Backing::Unverified,
    sources: &[
        "https://www.gob.pe/feriados",
        "https://www.gob.pe/institucion/pcm/normas-legales (D. Leg. 713; Leyes 31788, 31822, 32070)",
    ],
    holidays: &[
        fixed("Año Nuevo", 1, 1),
        easter("Jueves Santo", -3),
        easter("Viernes Santo", -2),
        fixed("Día del Trabajo", 5, 1),
        fixed("Batalla de Arica y Día de la Bandera", 6, 7),
        fixed("San Pedro y San Pablo", 6, 29),
        fixed("Día de la Fuerza Aérea del Perú", 7, 23),
        fixed("Fiestas Patrias", 7, 28),
        fixed("Fiestas Patrias", 7, 29),
        fixed("Batalla de Junín", 8, 6),
        fixed("Santa Rosa de Lima", 8, 30),
        fixed("Combate de Angamos", 10, 8),
        fixed("Todos los Santos", 11, 1),
        fixed("Inmaculada Concepción", 12, 8),
        fixed("Batalla de Ayacucho", 12, 9),
        fixed("Navidad", 12, 25),
    ],
};

/// Chile feriados nacionales (Ley 2.977 and amendments). UNVERIFIED
/// (COMPLIANCE.md §6: "CL_NATIONAL (TODO)"); election days are not included and
/// must be added by an override pack when decreed.
pub const CL_NATIONAL: HolidayCalendar = HolidayCalendar {
    id: "cl_national",
    name: "Chile feriados nacionales",
    backing: Backing::Unverified,
    sources: &[
        "https://www.bcn.cl/leychile (Ley 2.977; Ley 19.668; Ley 20.215; Ley 20.299; Ley 21.357)",
        "https://www.feriados.cl",
    ],
    holidays: &[
        fixed("Año Nuevo", 1, 1),
        easter("Viernes Santo", -2),
        easter("Sábado Santo", -1),
        fixed("Día del Trabajo", 5, 1),
        fixed("Día de las Glorias Navales", 5, 21),
        HolidayDef {
            name: "Día Nacional de los Pueblos Indígenas",
            rule: HolidayRule::ChileSolstice,
        },
        HolidayDef {
            name: "San Pedro y San Pablo",
            rule: HolidayRule::ChileMonday { month: 6, day: 29 },
        },
        fixed("Virgen del Carmen", 7, 16),
        fixed("Asunción de la Virgen", 8, 15),
        HolidayDef {
            name: "Fiestas Patrias (puente)",
            rule: HolidayRule::IfWeekday {
                month: 9,
                day: 17,
                weekday: Weekday::Mon,
            },
        },
        fixed("Independencia Nacional", 9, 18),
        fixed("Glorias del Ejército", 9, 19),
        HolidayDef {
            name: "Fiestas Patrias (puente)",
            rule: HolidayRule::IfWeekday {
                month: 9,
                day: 20,
                weekday: Weekday::Fri,
            },
        },
        HolidayDef {
            name: "Encuentro de Dos Mundos",
            rule: HolidayRule::ChileMonday { month: 10, day: 12 },
        },
        HolidayDef {
            name: "Día de las Iglesias Evangélicas y Protestantes",
            rule: HolidayRule::ChileReformation,
        },
        fixed("Todos los Santos", 11, 1),
        fixed("Inmaculada Concepción", 12, 8),
        fixed("Navidad", 12, 25),
    ],
};

/// São Paulo (capital): national, state and municipal holidays, because SP Lei
/// 15.426/2014 art. 2 excepts "os feriados" without saying which. Carnival is a
/// "ponto facultativo", not a legal holiday, and is included conservatively.
pub const BR_SP: HolidayCalendar = HolidayCalendar {
    id: "br_sp",
    name: "Brasil nacionais + SP estado + São Paulo capital",
    backing: Backing::VSecondary,
    sources: &[
        "https://www.planalto.gov.br/ccivil_03/leis/l0662.htm (Lei 662/1949, Lei 10.607/2002)",
        "https://www.planalto.gov.br/ccivil_03/leis/l6802.htm (Lei 6.802/1980, 12 Oct)",
        "https://www.planalto.gov.br/ccivil_03/_ato2023-2026/2023/lei/l14759.htm (Lei 14.759/2023, 20 Nov)",
        "https://www.al.sp.gov.br/repositorio/legislacao/lei/1997/lei-9497-05.03.1997.html (SP Lei 9.497/1997, 9 Jul)",
        "https://legislacao.prefeitura.sp.gov.br/leis/lei-14485-de-19-de-julho-de-2007 (São Paulo municipal holidays)",
    ],
    holidays: &[
        fixed("Confraternização Universal", 1, 1),
        fixed("Aniversário de São Paulo", 1, 25),
        easter("Carnaval (ponto facultativo)", -48),
        easter("Carnaval (ponto facultativo)", -47),
        easter("Paixão de Cristo", -2),
        fixed("Tiradentes", 4, 21),
        fixed("Dia do Trabalho", 5, 1),
        easter("Corpus Christi", 60),
        fixed("Revolução Constitucionalista", 7, 9),
        fixed("Independência do Brasil", 9, 7),
        fixed("Nossa Senhora Aparecida", 10, 12),
        fixed("Finados", 11, 2),
        fixed("Proclamação da República", 11, 15),
        fixed("Dia Nacional de Zumbi e da Consciência Negra", 11, 20),
        fixed("Natal", 12, 25),
    ],
};

const ALL: &[HolidayCalendar] = &[CO_LEY_51_1983, PE_NATIONAL, CL_NATIONAL, BR_SP];

/// Easter Sunday (Gregorian), anonymous algorithm (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("easter date is valid")
}

fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        date + Days::new(days as u64)
    } else {
        date - Days::new(days.unsigned_abs())
    }
}

fn to_next_monday(date: NaiveDate) -> NaiveDate {
    let offset = (7 - date.weekday().num_days_from_monday()) % 7;
    date + Days::new(u64::from(offset))
}

/// June solstice dates in America/Santiago (UTC−4 in June), from the solstice instants.
const CHILE_SOLSTICE: &[(i32, u32)] = &[
    (2025, 20),
    (2026, 21),
    (2027, 21),
    (2028, 20),
    (2029, 20),
    (2030, 21),
];

impl HolidayRule {
    /// The dates of this holiday in `year` (usually one; none or two in edge
    /// cases), without allocating: the time-window rules ask "is this date a
    /// holiday?" for every contact they judge and every candidate instant of
    /// the `next_allowed_at` search.
    pub fn dates(self, year: i32) -> impl Iterator<Item = NaiveDate> {
        let ymd = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d);
        let one = |d: Option<NaiveDate>| [d, None];
        let pair: [Option<NaiveDate>; 2] = match self {
            HolidayRule::Fixed { month, day } => one(ymd(month, day)),
            HolidayRule::NextMonday { month, day } => one(ymd(month, day).map(to_next_monday)),
            HolidayRule::Easter { days } => one(Some(add_days(easter_sunday(year), days))),
            HolidayRule::EasterNextMonday { days } => {
                one(Some(to_next_monday(add_days(easter_sunday(year), days))))
            }
            HolidayRule::ChileMonday { month, day } => {
                one(ymd(month, day).map(|d| match d.weekday() {
                    Weekday::Tue => d - Days::new(1),
                    Weekday::Wed => d - Days::new(2),
                    Weekday::Thu => d - Days::new(3),
                    Weekday::Fri => d + Days::new(3),
                    _ => d,
                }))
            }
            HolidayRule::ChileReformation => one(ymd(10, 31).map(|d| match d.weekday() {
                Weekday::Tue => d - Days::new(4),
                Weekday::Wed => d + Days::new(2),
                _ => d,
            })),
            HolidayRule::IfWeekday {
                month,
                day,
                weekday,
            } => one(ymd(month, day).filter(|d| d.weekday() == weekday)),
            HolidayRule::ChileSolstice => match CHILE_SOLSTICE.iter().find(|(y, _)| *y == year) {
                Some((_, day)) => one(ymd(6, *day)),
                None => [ymd(6, 20), ymd(6, 21)],
            },
        };
        pair.into_iter().flatten()
    }
}

impl HolidayCalendar {
    pub fn by_id(id: &str) -> Option<&'static HolidayCalendar> {
        ALL.iter().find(|c| c.id == id)
    }

    pub fn ids() -> Vec<&'static str> {
        ALL.iter().map(|c| c.id).collect()
    }

    /// The holiday's name if `date` is a holiday.
    pub fn holiday(&self, date: NaiveDate) -> Option<&'static str> {
        self.holidays
            .iter()
            .find(|h| h.rule.dates(date.year()).any(|d| d == date))
            .map(|h| h.name)
    }

    /// Every holiday in `year`, sorted by date.
    pub fn holidays_in(&self, year: i32) -> Vec<(NaiveDate, &'static str)> {
        let mut out: Vec<(NaiveDate, &'static str)> = self
            .holidays
            .iter()
            .flat_map(|h| h.rule.dates(year).map(move |d| (d, h.name)))
            .collect();
        out.sort();
        out
    }
}
