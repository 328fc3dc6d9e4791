"""What helpdesk tickets are about: twelve topics, in six languages, for the demo data and benchmarks.

Each topic carries ticket templates (subjects and descriptions with `{slot}`s), the conversation that
follows (customer follow-ups, first replies, resolutions), the tags a ticket gets and the expertise
tag of the agents who handle it. app.demo.corpus turns them into a realistic corpus, and the
benchmarks' bulk loader into 100,000 tickets with the same vocabulary.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from app.demo.text import Topic


def _load_topics() -> tuple[Topic, ...]:
    """Read the topics shipped beside this module (topics.json): money and access (billing,
    refunds, signing in, two-factor codes, cancelling, exporting data), then the product itself
    (the API, the mobile app, shipping, outages, feature requests, bugs)."""
    return msgspec.json.decode((Path(__file__).parent / "topics.json").read_bytes(), type=tuple[Topic, ...])


# In the file's order: the corpus draws topics from it, and a fixed seed must keep writing the same tickets.
TOPICS: tuple[Topic, ...] = _load_topics()
TOPIC_BY_KEY: dict[str, Topic] = {topic.key: topic for topic in TOPICS}

# Conversation lines for tickets in other languages: a follow-up, an agent's reply, a resolution.
FOREIGN_LINES: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "follow_ups": ("¿Alguna novedad? Ya han pasado {days} días.", "Sigue sin funcionar, por favor ayúdenme.",
                       "Adjunto una captura de pantalla."),
        "replies": ("Gracias por escribirnos. Ya estamos revisando su caso y le responderemos en breve.",
                    "Lamentamos las molestias. ¿Podría enviarnos más detalles?"),
        "resolutions": ("Hemos resuelto la incidencia. No dude en escribirnos si necesita algo más.",),
    },
    "fr": {
        "follow_ups": ("Des nouvelles ? Cela fait {days} jours.", "Toujours le même problème, merci de m'aider.",
                       "Je joins une capture d'écran."),
        "replies": ("Merci pour votre message. Nous examinons votre demande et revenons vers vous rapidement.",
                    "Désolés pour la gêne occasionnée. Pourriez-vous nous donner plus de détails ?"),
        "resolutions": ("Le problème est résolu. N'hésitez pas à nous écrire si besoin.",),
    },
    "de": {
        "follow_ups": ("Gibt es Neuigkeiten? Es sind schon {days} Tage vergangen.", "Das Problem besteht weiterhin.",
                       "Im Anhang ein Screenshot."),
        "replies": ("Vielen Dank für Ihre Nachricht. Wir prüfen Ihr Anliegen und melden uns in Kürze.",
                    "Entschuldigen Sie die Unannehmlichkeiten. Können Sie uns weitere Details schicken?"),
        "resolutions": ("Das Problem ist behoben. Melden Sie sich gern, falls noch etwas ist.",),
    },
    "it": {
        "follow_ups": ("Ci sono novità? Sono passati {days} giorni.", "Il problema persiste, per favore aiutatemi.",
                       "Allego uno screenshot."),
        "replies": ("Grazie per averci scritto. Stiamo verificando la sua richiesta e le risponderemo a breve.",
                    "Ci scusiamo per il disagio. Può inviarci qualche dettaglio in più?"),
        "resolutions": ("Il problema è stato risolto. Ci scriva pure se serve altro.",),
    },
    "pt": {
        "follow_ups": ("Alguma novidade? Já passaram {days} dias.", "Continua sem funcionar, por favor ajudem.",
                       "Envio uma captura de ecrã em anexo."),
        "replies": ("Obrigado pelo contacto. Estamos a analisar o seu pedido e respondemos em breve.",
                    "Lamentamos o incómodo. Pode enviar-nos mais detalhes?"),
        "resolutions": ("O problema foi resolvido. Não hesite em contactar-nos se precisar de algo mais.",),
    },
}

# How an English-speaking customer sounds, and the priority that usually goes with it.
MOODS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # mood: (openings, closings)
    "calm": (("Hi,", "Hello,", "Hi there,", ""), ("Thanks!", "Thank you.", "Best regards.", "")),
    "polite": (("Hope you're doing well!", "Good morning team,"), ("Thanks in advance for your help!", "Much appreciated.")),
    "frustrated": (("This is the second time I'm writing about this.", "Honestly, I'm getting frustrated."),
                   ("Please fix this.", "I expected better from you.")),
    "angry": (("This is unacceptable.", "I am extremely disappointed."),
              ("If this isn't fixed today I'll cancel.", "Terrible service so far.")),
    "urgent": (("URGENT:", "Our whole team is blocked."), ("Please treat this as a priority!", "We need this fixed ASAP.")),
}
MOOD_WEIGHTS: dict[str, int] = {"calm": 45, "polite": 20, "frustrated": 15, "angry": 8, "urgent": 12}

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Mia", "Ethan", "Chloe", "Daniel", "Grace", "Ryan",
           "Hannah", "Jacob", "Lily", "Owen", "Zoë", "Marcus", "Priya", "Aisha", "Wei", "Kofi"),
    "es": ("Lucía", "Mateo", "Sofía", "Hugo", "Martina", "Pablo", "Valeria", "Javier", "Carmen", "Diego"),
    "fr": ("Camille", "Louis", "Léa", "Gabriel", "Chloé", "Arthur", "Manon", "Hugo", "Élodie", "Théo"),
    "de": ("Lena", "Jonas", "Mia", "Felix", "Anna", "Lukas", "Jana", "Maximilian", "Sophie", "Jürgen"),
    "it": ("Giulia", "Lorenzo", "Chiara", "Matteo", "Francesca", "Alessandro", "Sara", "Davide", "Elena", "Niccolò"),
    "pt": ("Beatriz", "João", "Inês", "Tiago", "Mariana", "Rui", "Catarina", "Gonçalo", "Ana", "Francisco"),
}  # fmt: skip
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Smith", "Johnson", "Williams", "Brown", "Taylor", "Clarke", "Walker", "Nguyen", "Patel", "Okafor",
           "Murphy", "Hughes", "Kim", "Chen", "Reid", "Foster"),
    "es": ("García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Fernández", "Ruiz"),
    "fr": ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard", "Fontaine", "Rousseau"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schäfer"),
    "it": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
    "pt": ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins"),
}  # fmt: skip
EMAIL_DOMAINS: tuple[str, ...] = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "gmx.de",
                                  "orange.fr", "libero.it", "sapo.pt", "hotmail.es")  # fmt: skip
COMPANIES: tuple[str, ...] = ("Northwind Traders", "Blue Harbor Labs", "Pinecrest Dental", "Copperleaf Studio",
                              "Vela Logistics", "Brightside Bakery", "Keystone Legal", "Orbit Analytics",
                              "Maple & Co", "Tidewater Surf Shop", "Quantum Fitness", "Lumen Architects")  # fmt: skip
COUNTRIES: dict[str, tuple[str, ...]] = {
    "en": ("US", "GB", "CA", "AU", "IE"), "es": ("ES", "MX", "AR"), "fr": ("FR", "BE", "CA"),
    "de": ("DE", "AT", "CH"), "it": ("IT", "CH"), "pt": ("PT", "BR"),
}  # fmt: skip
