"""The pieces demo tickets are written from: templates with `{slot}`s, topics, and the slot values.

A slot's value is drawn once per ticket in English and translated when a ticket in another
language is written (`fill(..., language)`), so a near-duplicate of a ticket in another language
speaks of the same weekday or feature in its own words.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

LANGUAGES = ("en", "es", "fr", "de", "it", "pt")

@dataclass(frozen=True)
class Template:
    subject: str
    description: str


@dataclass(frozen=True)
class Topic:
    key: str
    tags: tuple[str, ...]  # the first is the topic's own tag
    expertise: str  # the agents' expertise tag for this topic
    # Relative weights of low, normal, high, urgent.
    priority_weights: tuple[int, int, int, int]
    english: tuple[Template, ...]
    follow_ups: tuple[str, ...]  # customer messages after the first one (English)
    replies: tuple[str, ...]  # an agent's first answer (English)
    resolutions: tuple[str, ...]  # an agent's closing answer (English)
    translated: dict[str, tuple[Template, ...]] = field(default_factory=dict)


# Values for the `{slot}`s of every template. `{product}` and `{company}` come from the organization.
SLOTS: dict[str, tuple[str, ...]] = {
    "plan": ("Starter", "Pro", "Business", "Enterprise"),
    "amount": ("$49.00", "$129.00", "$19.99", "$240.00", "$89.50", "$1,188.00"),
    "invoice": ("INV-2025-0412", "INV-2025-0977", "INV-2025-1130", "INV-2024-8812", "INV-2025-0059"),
    "order": ("A10293", "A11872", "B20417", "A13390", "C30051", "B22964"),
    "device": ("iPhone 15", "iPhone 13 mini", "Pixel 8", "Galaxy S23", "iPad Air", "OnePlus 12"),
    "os": ("iOS 18.1", "iOS 17.6", "Android 15", "Android 14"),
    "app_version": ("4.12.0", "4.11.3", "4.13.1", "5.0.0-beta"),
    "browser": ("Chrome", "Firefox", "Safari", "Edge"),
    "carrier": ("UPS", "DHL", "FedEx", "USPS", "GLS"),
    "city": ("Austin", "Madrid", "Lyon", "Munich", "Milan", "Porto", "Leeds", "Toronto"),
    "endpoint": ("/v2/orders", "/v2/webhooks", "/v2/customers", "/v2/devices", "/v2/events"),
    "status_code": ("500", "502", "503", "429", "401", "403"),
    "feature": ("dark mode", "bulk editing", "a Slack integration", "scheduled reports", "custom roles",
                "an offline mode", "CSV import", "multiple billing contacts"),  # fmt: skip
    "days": ("3", "5", "7", "10", "12"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "error": ("ERR_CONNECTION_RESET", "Something went wrong (code 0x1F)", "Session expired", "Unexpected token < in JSON",
              "TLS handshake timeout"),  # fmt: skip
    "region": ("EU-West", "US-East", "US-West", "AP-South"),
    "format": ("CSV", "JSON", "XLSX"),
    "count": ("2", "3", "4", "5", "40", "120"),
}

# Slot values that are words rather than names or codes, in Spanish, French, German, Italian and
# Portuguese (LANGUAGES' order); anything absent here reads the same in every language.
TRANSLATED_SLOTS: dict[str, tuple[str, str, str, str, str]] = {
    "Monday": ("lunes", "lundi", "Montag", "lunedì", "segunda-feira"),
    "Tuesday": ("martes", "mardi", "Dienstag", "martedì", "terça-feira"),
    "Wednesday": ("miércoles", "mercredi", "Mittwoch", "mercoledì", "quarta-feira"),
    "Thursday": ("jueves", "jeudi", "Donnerstag", "giovedì", "quinta-feira"),
    "Friday": ("viernes", "vendredi", "Freitag", "venerdì", "sexta-feira"),
    "dark mode": ("un modo oscuro", "un mode sombre", "einen Dunkelmodus", "una modalità scura", "um modo escuro"),
    "bulk editing": ("la edición masiva", "la modification en masse", "eine Massenbearbeitung",
                     "la modifica in blocco", "a edição em massa"),
    "a Slack integration": ("una integración con Slack", "une intégration Slack", "eine Slack-Integration",
                            "un'integrazione con Slack", "uma integração com o Slack"),
    "scheduled reports": ("informes programados", "des rapports planifiés", "geplante Berichte",
                          "report programmati", "relatórios agendados"),
    "custom roles": ("roles personalizados", "des rôles personnalisés", "eigene Rollen", "ruoli personalizzati",
                     "funções personalizadas"),
    "an offline mode": ("un modo sin conexión", "un mode hors ligne", "einen Offline-Modus", "una modalità offline",
                        "um modo offline"),
    "CSV import": ("la importación de CSV", "l'import CSV", "einen CSV-Import", "l'importazione da CSV",
                   "a importação de CSV"),
    "multiple billing contacts": ("varios contactos de facturación", "plusieurs contacts de facturation",
                                  "mehrere Rechnungskontakte", "più contatti di fatturazione",
                                  "vários contactos de faturação"),
    "Something went wrong (code 0x1F)": ("Algo salió mal (código 0x1F)", "Une erreur est survenue (code 0x1F)",
                                         "Etwas ist schiefgelaufen (Code 0x1F)", "Qualcosa è andato storto (codice 0x1F)",
                                         "Algo correu mal (código 0x1F)"),
    "Session expired": ("Sesión caducada", "Session expirée", "Sitzung abgelaufen", "Sessione scaduta", "Sessão expirada"),
    "Unexpected token < in JSON": ("Token inesperado < en el JSON", "Jeton inattendu < dans le JSON",
                                   "Unerwartetes Token < im JSON", "Token imprevisto < nel JSON",
                                   "Token inesperado < no JSON"),
    "TLS handshake timeout": ("Tiempo de espera agotado en la negociación TLS", "Délai dépassé pendant la négociation TLS",
                              "Zeitüberschreitung beim TLS-Handshake", "Timeout durante la negoziazione TLS",
                              "Tempo esgotado na negociação TLS"),
    "Munich": ("Múnich", "Munich", "München", "Monaco di Baviera", "Munique"),
    "Milan": ("Milán", "Milan", "Mailand", "Milano", "Milão"),
    "Lyon": ("Lyon", "Lyon", "Lyon", "Lione", "Lyon"),
    "Porto": ("Oporto", "Porto", "Porto", "Oporto", "Porto"),
}  # fmt: skip

class _Slots(dict[str, str]):
    """Slot values for one ticket: each slot drawn once, so a ticket's messages stay consistent."""

    def __init__(self, rng: random.Random, fixed: dict[str, str], choices: Mapping[str, Sequence[str]]) -> None:
        super().__init__(fixed)
        self._rng = rng
        self._choices = choices

    def __missing__(self, key: str) -> str:
        choices = self._choices.get(key) or SLOTS.get(key)
        value = self._rng.choice(choices) if choices else key
        self[key] = value
        return value


def slot_values(
    rng: random.Random, product: str, company: str, choices: Mapping[str, Sequence[str]] | None = None
) -> dict[str, str]:
    """A lazily filled slot table for one ticket (see `fill`); `choices` replaces SLOTS' values
    for some slots (a big corpus wants more distinct order numbers, for instance)."""
    return _Slots(rng, {"product": product, "company": company}, choices or {})


class _Translated(dict[str, str]):
    """A ticket's slot table as read in another language (the values are drawn in English)."""

    def __init__(self, slots: dict[str, str], language: str) -> None:
        super().__init__()
        self._slots = slots
        self._column = LANGUAGES.index(language) - 1

    def __missing__(self, key: str) -> str:
        value = self._slots[key]
        translations = TRANSLATED_SLOTS.get(value)
        return value if translations is None else translations[self._column]


def fill(template: str, slots: dict[str, str], language: str = "en") -> str:
    """The template with the ticket's slot values, in the ticket's language."""
    return template.format_map(slots if language == "en" else _Translated(slots, language))
