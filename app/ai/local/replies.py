"""Reply drafts assembled from per-language templates, the ticket, and the best article.

Each draft is an agent's starting point, not a sent message: it greets, acknowledges the topic in
the customer's own words, says what happens next for this kind of request, points to the
article when one fits, and signs off in the requested tone. Drafts differ in tone and length so
the agent can pick the register that suits the customer.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.ai.interface import Candidate, Language, ReplyDraft, SentimentLabel
from app.ai.local.summary import NextStep
from app.ai.local.text import normalize_whitespace, split_sentences

Tone = str
KNOWN_TONES = ("friendly", "professional", "empathetic")
_TONE_ALIASES = {
    "formal": "professional", "business": "professional", "neutral": "professional", "concise": "professional",
    "warm": "friendly", "casual": "friendly", "playful": "friendly", "informal": "friendly",
    "caring": "empathetic", "apologetic": "empathetic", "supportive": "empathetic",
}
_MAX_TOPIC_CHARS = 80
_MAX_ARTICLE_EXCERPT_CHARS = 320


@dataclass(frozen=True)
class Phrases:
    """Everything a draft says, in one language. {topic} and {title} are filled in."""

    quote: tuple[str, str]
    greeting: dict[Tone, str]
    closing: dict[Tone, str]
    sign_off: dict[Tone, str]
    thanks_for_writing: str
    sorry: str
    glad: str
    article: str
    article_excerpt: str
    ask_details: str
    situation: dict[NextStep, tuple[str, str]]  # (concise, extra sentences for the detailed draft)


PHRASES: dict[Language, Phrases] = {
    "en": Phrases(
        quote=("“", "”"),
        greeting={"friendly": "Hi there,", "professional": "Hello,", "empathetic": "Hi,"},
        closing={
            "friendly": "Let me know if there's anything else I can do!",
            "professional": "Please let us know if you need anything further.",
            "empathetic": "We're here for you if anything else comes up.",
        },
        sign_off={"friendly": "Cheers,\nThe support team", "professional": "Kind regards,\nThe support team", "empathetic": "Warm regards,\nThe support team"},
        thanks_for_writing="Thanks for getting in touch about {topic}.",
        sorry="I'm sorry for the trouble this is causing you.",
        glad="It's great to hear from you.",
        article="This article should help: {title}.",
        article_excerpt="In short: {excerpt}",
        ask_details="So we can move faster, could you send a screenshot, the approximate time it happened and the browser or app version you use?",
        situation={
            NextStep.ESCALATE_REFUND: (
                "I've passed your cancellation and the charge in question to our billing team, who will review the refund and come back to you shortly.",
                "Your subscription won't renew in the meantime, and if a refund is due it goes back to your original payment method.",
            ),
            NextStep.CONFIRM_CANCELLATION: (
                "I'll take care of the cancellation for you; it takes effect at the end of your current billing period.",
                "You keep full access until then and can export your data before the account closes. If you change your mind, just reply to this message.",
            ),
            NextStep.EXPLAIN_CANCELLATION: (
                "When you cancel, your plan stays active until the end of the period you've already paid for, and nothing is charged after that.",
                "Your data stays available to export until the account closes. Tell us if you'd like us to go ahead with the cancellation.",
            ),
            NextStep.CHECK_PAUSE: (
                "I'm checking the pause on your subscription now, including its end date and any charges, and I'll confirm the details shortly.",
                "If anything was charged during the pause by mistake, we'll correct it.",
            ),
            NextStep.CHECK_BILLING: (
                "I'm checking the charges on your account with our billing team; anything billed by mistake will be corrected or refunded.",
                "You'll get a confirmation as soon as it's done, together with a corrected invoice if one is needed.",
            ),
            NextStep.INVESTIGATE_NOW: (
                "Our team is on it right now with top priority, and we'll update you as soon as we know more.",
                "We'll keep you posted at every step until everything works again.",
            ),
            NextStep.ANSWER_QUESTION: (
                "I'm looking into your question and will come back to you with a precise answer shortly.",
                "If anything about your setup is unusual, tell us and we'll take it into account.",
            ),
            NextStep.THANK_CUSTOMER: (
                "Thank you for taking the time to write to us; I've passed your feedback on to the team.",
                "Messages like yours help us decide what to improve next.",
            ),
            NextStep.REPLY_WITH_FIX: (
                "I'm looking into this now and will get back to you with a fix or a workaround as soon as possible.",
                "We'll let you know as soon as we've reproduced it on our side.",
            ),
        },
    ),
    "es": Phrases(
        quote=("«", "»"),
        greeting={"friendly": "¡Hola!", "professional": "Buenos días:", "empathetic": "Hola:"},
        closing={
            "friendly": "¡Cualquier otra cosa que necesite, aquí estamos!",
            "professional": "Quedamos a su disposición para cualquier consulta.",
            "empathetic": "Estamos aquí para ayudarle en lo que necesite.",
        },
        sign_off={"friendly": "¡Un saludo!\nEl equipo de soporte", "professional": "Atentamente,\nEl equipo de soporte", "empathetic": "Un cordial saludo,\nEl equipo de soporte"},
        thanks_for_writing="Gracias por escribirnos sobre {topic}.",
        sorry="Lamentamos mucho las molestias que esto le está causando.",
        glad="Nos alegra mucho recibir su mensaje.",
        article="Este artículo le puede ayudar: {title}.",
        article_excerpt="En resumen: {excerpt}",
        ask_details="Para avanzar más rápido, ¿podría enviarnos una captura de pantalla, la hora aproximada y la versión del navegador o de la aplicación que utiliza?",
        situation={
            NextStep.ESCALATE_REFUND: (
                "He trasladado su cancelación y el cobro en cuestión a nuestro equipo de facturación, que revisará el reembolso y le responderá en breve.",
                "Mientras tanto su suscripción no se renovará y, si corresponde un reembolso, se hará al mismo medio de pago.",
            ),
            NextStep.CONFIRM_CANCELLATION: (
                "Me encargo de la cancelación; será efectiva al final del periodo de facturación actual.",
                "Hasta entonces mantiene el acceso completo y puede exportar sus datos. Si cambia de opinión, basta con responder a este mensaje.",
            ),
            NextStep.EXPLAIN_CANCELLATION: (
                "Si cancela, su plan sigue activo hasta el final del periodo ya pagado y no se le cobrará nada más.",
                "Sus datos se pueden exportar hasta que se cierre la cuenta. Díganos si quiere que tramitemos la cancelación.",
            ),
            NextStep.CHECK_PAUSE: (
                "Estoy revisando la pausa de su suscripción, incluida la fecha de fin y los posibles cobros, y le confirmo los detalles en breve.",
                "Si se realizó algún cobro por error durante la pausa, lo corregiremos.",
            ),
            NextStep.CHECK_BILLING: (
                "Estoy revisando los cobros de su cuenta con el equipo de facturación; cualquier importe cobrado por error se corregirá o se reembolsará.",
                "Recibirá una confirmación en cuanto esté hecho, junto con una factura corregida si hace falta.",
            ),
            NextStep.INVESTIGATE_NOW: (
                "Nuestro equipo ya está trabajando en ello con máxima prioridad y le informaremos en cuanto sepamos más.",
                "Le mantendremos al tanto en cada paso hasta que todo vuelva a funcionar.",
            ),
            NextStep.ANSWER_QUESTION: (
                "Estoy revisando su consulta y le daré una respuesta precisa en breve.",
                "Si su configuración tiene algo particular, cuéntenoslo y lo tendremos en cuenta.",
            ),
            NextStep.THANK_CUSTOMER: (
                "Gracias por dedicarnos su tiempo; he compartido sus comentarios con el equipo.",
                "Mensajes como el suyo nos ayudan a decidir qué mejorar.",
            ),
            NextStep.REPLY_WITH_FIX: (
                "Lo estoy revisando ahora mismo y le responderé con una solución o una alternativa lo antes posible.",
                "Le avisaremos en cuanto lo hayamos reproducido.",
            ),
        },
    ),
    "fr": Phrases(
        quote=("« ", " »"),
        greeting={"friendly": "Bonjour !", "professional": "Bonjour,", "empathetic": "Bonjour,"},
        closing={
            "friendly": "N'hésitez pas si vous avez besoin d'autre chose !",
            "professional": "Nous restons à votre disposition pour toute question.",
            "empathetic": "Nous sommes là si vous avez besoin de quoi que ce soit.",
        },
        sign_off={"friendly": "À bientôt,\nL'équipe support", "professional": "Cordialement,\nL'équipe support", "empathetic": "Bien à vous,\nL'équipe support"},
        thanks_for_writing="Merci de nous avoir écrit au sujet de {topic}.",
        sorry="Nous sommes désolés pour la gêne occasionnée.",
        glad="Nous sommes ravis d'avoir de vos nouvelles.",
        article="Cet article devrait vous aider : {title}.",
        article_excerpt="En bref : {excerpt}",
        ask_details="Pour aller plus vite, pourriez-vous nous envoyer une capture d'écran, l'heure approximative et la version du navigateur ou de l'application utilisée ?",
        situation={
            NextStep.ESCALATE_REFUND: (
                "J'ai transmis votre résiliation et le prélèvement concerné à notre service facturation, qui examinera le remboursement et reviendra vers vous rapidement.",
                "Votre abonnement ne sera pas renouvelé d'ici là et, si un remboursement est dû, il sera fait sur votre moyen de paiement d'origine.",
            ),
            NextStep.CONFIRM_CANCELLATION: (
                "Je m'occupe de la résiliation ; elle prendra effet à la fin de votre période de facturation en cours.",
                "Vous gardez un accès complet jusque-là et pouvez exporter vos données. Si vous changez d'avis, il suffit de répondre à ce message.",
            ),
            NextStep.EXPLAIN_CANCELLATION: (
                "En cas de résiliation, votre offre reste active jusqu'à la fin de la période déjà payée et rien n'est prélevé ensuite.",
                "Vos données restent exportables jusqu'à la fermeture du compte. Dites-nous si vous souhaitez que nous procédions à la résiliation.",
            ),
            NextStep.CHECK_PAUSE: (
                "Je vérifie la pause de votre abonnement, sa date de fin et les éventuels prélèvements, et je vous confirme tout rapidement.",
                "Si un prélèvement a été effectué par erreur pendant la pause, nous le corrigerons.",
            ),
            NextStep.CHECK_BILLING: (
                "Je vérifie les prélèvements de votre compte avec notre service facturation ; tout montant facturé par erreur sera corrigé ou remboursé.",
                "Vous recevrez une confirmation dès que ce sera fait, avec une facture corrigée si nécessaire.",
            ),
            NextStep.INVESTIGATE_NOW: (
                "Notre équipe s'en occupe en priorité absolue et nous vous tiendrons informé dès que nous en saurons plus.",
                "Nous vous tiendrons au courant à chaque étape jusqu'au retour à la normale.",
            ),
            NextStep.ANSWER_QUESTION: (
                "J'examine votre question et je reviens vers vous très vite avec une réponse précise.",
                "Si votre configuration a une particularité, dites-le-nous et nous en tiendrons compte.",
            ),
            NextStep.THANK_CUSTOMER: (
                "Merci d'avoir pris le temps de nous écrire ; j'ai transmis votre retour à l'équipe.",
                "Ce type de message nous aide à choisir nos prochaines améliorations.",
            ),
            NextStep.REPLY_WITH_FIX: (
                "J'examine le problème dès maintenant et je reviens vers vous avec une solution ou un contournement au plus vite.",
                "Nous vous préviendrons dès que nous l'aurons reproduit de notre côté.",
            ),
        },
    ),
    "de": Phrases(
        quote=("„", "“"),
        greeting={"friendly": "Hallo!", "professional": "Guten Tag,", "empathetic": "Hallo,"},
        closing={
            "friendly": "Melden Sie sich gern, wenn Sie noch etwas brauchen!",
            "professional": "Bei weiteren Fragen stehen wir Ihnen gern zur Verfügung.",
            "empathetic": "Wir sind für Sie da, falls noch etwas sein sollte.",
        },
        sign_off={"friendly": "Viele Grüße\nIhr Support-Team", "professional": "Mit freundlichen Grüßen\nIhr Support-Team", "empathetic": "Herzliche Grüße\nIhr Support-Team"},
        thanks_for_writing="Vielen Dank für Ihre Nachricht zu {topic}.",
        sorry="Es tut uns leid, dass Ihnen das Umstände bereitet.",
        glad="Wir freuen uns sehr über Ihre Nachricht.",
        article="Dieser Artikel sollte helfen: {title}.",
        article_excerpt="Kurz gesagt: {excerpt}",
        ask_details="Damit es schneller geht: Könnten Sie uns einen Screenshot, den ungefähren Zeitpunkt und die verwendete Browser- oder App-Version schicken?",
        situation={
            NextStep.ESCALATE_REFUND: (
                "Ich habe Ihre Kündigung und die betreffende Abbuchung an unser Abrechnungsteam weitergegeben, das die Erstattung prüft und sich in Kürze bei Ihnen meldet.",
                "Ihr Abonnement verlängert sich in der Zwischenzeit nicht, und eine fällige Erstattung geht auf Ihr ursprüngliches Zahlungsmittel zurück.",
            ),
            NextStep.CONFIRM_CANCELLATION: (
                "Ich kümmere mich um die Kündigung; sie wird zum Ende Ihres aktuellen Abrechnungszeitraums wirksam.",
                "Bis dahin haben Sie vollen Zugriff und können Ihre Daten exportieren. Falls Sie es sich anders überlegen, antworten Sie einfach auf diese Nachricht.",
            ),
            NextStep.EXPLAIN_CANCELLATION: (
                "Nach einer Kündigung bleibt Ihr Tarif bis zum Ende des bereits bezahlten Zeitraums aktiv, danach wird nichts mehr abgebucht.",
                "Ihre Daten können Sie bis zur Schließung des Kontos exportieren. Sagen Sie uns Bescheid, wenn wir die Kündigung durchführen sollen.",
            ),
            NextStep.CHECK_PAUSE: (
                "Ich prüfe gerade die Pause Ihres Abonnements, einschließlich Enddatum und etwaiger Abbuchungen, und bestätige Ihnen die Details in Kürze.",
                "Falls während der Pause versehentlich etwas abgebucht wurde, korrigieren wir das.",
            ),
            NextStep.CHECK_BILLING: (
                "Ich prüfe die Abbuchungen auf Ihrem Konto mit unserem Abrechnungsteam; alles, was versehentlich berechnet wurde, wird korrigiert oder erstattet.",
                "Sie erhalten eine Bestätigung, sobald das erledigt ist, bei Bedarf mit einer korrigierten Rechnung.",
            ),
            NextStep.INVESTIGATE_NOW: (
                "Unser Team arbeitet mit höchster Priorität daran, und wir melden uns, sobald wir mehr wissen.",
                "Wir halten Sie bei jedem Schritt auf dem Laufenden, bis alles wieder funktioniert.",
            ),
            NextStep.ANSWER_QUESTION: (
                "Ich sehe mir Ihre Frage an und melde mich in Kürze mit einer genauen Antwort.",
                "Falls Ihre Einrichtung Besonderheiten hat, teilen Sie sie uns gern mit.",
            ),
            NextStep.THANK_CUSTOMER: (
                "Vielen Dank, dass Sie sich die Zeit genommen haben; ich habe Ihr Feedback an das Team weitergegeben.",
                "Rückmeldungen wie Ihre helfen uns zu entscheiden, was wir als Nächstes verbessern.",
            ),
            NextStep.REPLY_WITH_FIX: (
                "Ich sehe mir das jetzt an und melde mich so schnell wie möglich mit einer Lösung oder Umgehung.",
                "Wir geben Ihnen Bescheid, sobald wir es bei uns nachstellen konnten.",
            ),
        },
    ),
    "it": Phrases(
        quote=("«", "»"),
        greeting={"friendly": "Ciao!", "professional": "Buongiorno,", "empathetic": "Gentile cliente,"},
        closing={
            "friendly": "Se serve altro, scrivici pure!",
            "professional": "Restiamo a disposizione per qualsiasi chiarimento.",
            "empathetic": "Siamo qui per aiutarla in qualsiasi momento.",
        },
        sign_off={"friendly": "A presto,\nIl team di supporto", "professional": "Cordiali saluti,\nIl team di supporto", "empathetic": "Un caro saluto,\nIl team di supporto"},
        thanks_for_writing="Grazie per averci scritto riguardo a {topic}.",
        sorry="Ci dispiace molto per il disagio che questo le sta causando.",
        glad="Ci fa molto piacere ricevere il suo messaggio.",
        article="Questo articolo dovrebbe esserle utile: {title}.",
        article_excerpt="In breve: {excerpt}",
        ask_details="Per procedere più in fretta, potrebbe inviarci uno screenshot, l'orario approssimativo e la versione del browser o dell'app che usa?",
        situation={
            NextStep.ESCALATE_REFUND: (
                "Ho inoltrato la sua disdetta e l'addebito in questione al nostro ufficio fatturazione, che valuterà il rimborso e le risponderà a breve.",
                "Nel frattempo l'abbonamento non verrà rinnovato e, se il rimborso è dovuto, verrà effettuato sul metodo di pagamento originale.",
            ),
            NextStep.CONFIRM_CANCELLATION: (
                "Mi occupo io della disdetta; sarà effettiva alla fine del periodo di fatturazione in corso.",
                "Fino ad allora mantiene l'accesso completo e può esportare i suoi dati. Se cambia idea, basta rispondere a questo messaggio.",
            ),
            NextStep.EXPLAIN_CANCELLATION: (
                "Con la disdetta il piano resta attivo fino alla fine del periodo già pagato e dopo non viene addebitato nulla.",
                "I dati restano esportabili fino alla chiusura dell'account. Ci dica se desidera che procediamo con la disdetta.",
            ),
            NextStep.CHECK_PAUSE: (
                "Sto verificando la pausa del suo abbonamento, con la data di fine e gli eventuali addebiti, e le confermo i dettagli a breve.",
                "Se durante la pausa è stato addebitato qualcosa per errore, lo correggeremo.",
            ),
            NextStep.CHECK_BILLING: (
                "Sto verificando gli addebiti del suo account con l'ufficio fatturazione; qualsiasi importo addebitato per errore verrà corretto o rimborsato.",
                "Riceverà una conferma appena fatto, insieme a una fattura corretta se necessario.",
            ),
            NextStep.INVESTIGATE_NOW: (
                "Il nostro team se ne sta occupando con la massima priorità e la aggiorneremo appena sapremo di più.",
                "La terremo informata a ogni passo finché tutto non tornerà a funzionare.",
            ),
            NextStep.ANSWER_QUESTION: (
                "Sto verificando la sua domanda e le darò una risposta precisa a breve.",
                "Se la sua configurazione ha qualche particolarità, ce lo segnali e ne terremo conto.",
            ),
            NextStep.THANK_CUSTOMER: (
                "Grazie per il tempo che ci ha dedicato; ho condiviso il suo feedback con il team.",
                "Messaggi come il suo ci aiutano a decidere cosa migliorare.",
            ),
            NextStep.REPLY_WITH_FIX: (
                "Sto analizzando il problema e le risponderò con una soluzione o un'alternativa il prima possibile.",
                "La avviseremo appena saremo riusciti a riprodurlo.",
            ),
        },
    ),
    "pt": Phrases(
        quote=("“", "”"),
        greeting={"friendly": "Olá!", "professional": "Bom dia,", "empathetic": "Olá,"},
        closing={
            "friendly": "Se precisar de mais alguma coisa, é só chamar!",
            "professional": "Ficamos à disposição para qualquer dúvida.",
            "empathetic": "Estamos aqui para ajudar no que precisar.",
        },
        sign_off={"friendly": "Abraços,\nEquipe de suporte", "professional": "Atenciosamente,\nEquipe de suporte", "empathetic": "Um abraço,\nEquipe de suporte"},
        thanks_for_writing="Obrigado por nos escrever sobre {topic}.",
        sorry="Lamentamos muito o transtorno que isso está causando.",
        glad="Ficamos muito felizes com a sua mensagem.",
        article="Este artigo deve ajudar: {title}.",
        article_excerpt="Resumindo: {excerpt}",
        ask_details="Para agilizar, você poderia enviar uma captura de tela, o horário aproximado e a versão do navegador ou do aplicativo que usa?",
        situation={
            NextStep.ESCALATE_REFUND: (
                "Encaminhei o seu cancelamento e a cobrança em questão para a nossa equipe de faturamento, que vai analisar o reembolso e retornar em breve.",
                "Enquanto isso a assinatura não será renovada e, se o reembolso for devido, ele volta para a forma de pagamento original.",
            ),
            NextStep.CONFIRM_CANCELLATION: (
                "Vou cuidar do cancelamento; ele vale a partir do fim do período de cobrança atual.",
                "Até lá você mantém o acesso completo e pode exportar seus dados. Se mudar de ideia, é só responder a esta mensagem.",
            ),
            NextStep.EXPLAIN_CANCELLATION: (
                "Ao cancelar, o plano continua ativo até o fim do período já pago e nada mais é cobrado depois disso.",
                "Seus dados podem ser exportados até o encerramento da conta. Avise se quiser que façamos o cancelamento.",
            ),
            NextStep.CHECK_PAUSE: (
                "Estou verificando a pausa da sua assinatura, a data de término e eventuais cobranças, e confirmo os detalhes em breve.",
                "Se algo foi cobrado por engano durante a pausa, vamos corrigir.",
            ),
            NextStep.CHECK_BILLING: (
                "Estou verificando as cobranças da sua conta com a equipe de faturamento; qualquer valor cobrado por engano será corrigido ou reembolsado.",
                "Você receberá uma confirmação assim que estiver feito, com uma fatura corrigida se for necessário.",
            ),
            NextStep.INVESTIGATE_NOW: (
                "Nossa equipe já está trabalhando nisso com prioridade máxima e avisaremos assim que soubermos mais.",
                "Vamos manter você informado a cada passo até tudo voltar a funcionar.",
            ),
            NextStep.ANSWER_QUESTION: (
                "Estou verificando a sua pergunta e retorno em breve com uma resposta precisa.",
                "Se a sua configuração tiver alguma particularidade, conte para nós e vamos levar em conta.",
            ),
            NextStep.THANK_CUSTOMER: (
                "Obrigado por dedicar um tempo para nos escrever; compartilhei o seu feedback com a equipe.",
                "Mensagens como a sua nos ajudam a decidir o que melhorar.",
            ),
            NextStep.REPLY_WITH_FIX: (
                "Estou analisando isso agora e retorno com uma solução ou alternativa o quanto antes.",
                "Avisaremos assim que conseguirmos reproduzir o problema.",
            ),
        },
    ),
}


def canonical_tone(tone: str | None) -> Tone:
    """Map an organization's free-text tone onto one the templates know."""
    key = (tone or "friendly").strip().lower()
    if key in KNOWN_TONES:
        return key
    return _TONE_ALIASES.get(key, "friendly")


def contrasting_tone(tone: Tone) -> Tone:
    return "professional" if tone != "professional" else "friendly"


def draft_replies(
    subject: str,
    language: Language,
    situation: NextStep,
    sentiment: SentimentLabel,
    article: Candidate | None,
    org_tone: str | None,
) -> list[ReplyDraft]:
    """A concise draft in the organization's tone, a detailed one in a contrasting tone, and an
    empathetic one when the customer is upset."""
    first_tone = canonical_tone(org_tone)
    tones: list[tuple[Tone, bool]] = [(first_tone, False), (contrasting_tone(first_tone), True)]
    if sentiment == "negative" and "empathetic" not in (tone for tone, _ in tones):
        tones.append(("empathetic", False))
    drafts = []
    for tone, detailed in tones:
        text = _compose(PHRASES[language], subject, situation, sentiment, article, tone, detailed)
        drafts.append(ReplyDraft(text=text, tone=tone, length="detailed" if detailed else "concise"))
    return drafts


def _compose(
    phrases: Phrases,
    subject: str,
    situation: NextStep,
    sentiment: SentimentLabel,
    article: Candidate | None,
    tone: Tone,
    detailed: bool,
) -> str:
    concise_line, detail_line = phrases.situation[situation]
    opening: list[str] = []
    topic = _topic(subject)
    # Thanking a customer for writing right before thanking them for their feedback reads twice.
    if topic and (detailed or tone != "empathetic") and situation != NextStep.THANK_CUSTOMER:
        open_quote, close_quote = phrases.quote
        opening.append(phrases.thanks_for_writing.format(topic=f"{open_quote}{topic}{close_quote}"))
    if sentiment == "negative" and (tone == "empathetic" or detailed):
        opening.append(phrases.sorry)
    elif sentiment == "positive" and situation != NextStep.THANK_CUSTOMER:
        opening.append(phrases.glad)

    body = [concise_line]
    if detailed:
        body.append(detail_line)
    if article is not None:
        title, excerpt = _article_parts(article)
        body.append(phrases.article.format(title=title))
        if detailed and excerpt:
            body.append(phrases.article_excerpt.format(excerpt=excerpt))
    if detailed and situation in (NextStep.REPLY_WITH_FIX, NextStep.INVESTIGATE_NOW):
        body.append(phrases.ask_details)

    paragraphs = [phrases.greeting[tone], " ".join(opening + body), phrases.closing[tone], phrases.sign_off[tone]]
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _topic(subject: str) -> str:
    topic = normalize_whitespace(subject).strip(" .!?¿¡:;-")
    if len(topic) > _MAX_TOPIC_CHARS:
        topic = topic[:_MAX_TOPIC_CHARS].rsplit(" ", 1)[0] + "…"
    return topic


def _article_parts(article: Candidate) -> tuple[str, str]:
    """Title is the article's first line; the excerpt is its first sentences, kept short."""
    lines = [line.strip() for line in article.text.strip().splitlines() if line.strip()]
    if not lines:
        return article.id, ""
    title = lines[0].lstrip("# ").strip()
    title = title if len(title) <= _MAX_TOPIC_CHARS else title[:_MAX_TOPIC_CHARS].rsplit(" ", 1)[0] + "…"
    excerpt = ""
    for sentence in split_sentences(" ".join(lines[1:])):
        if len(excerpt) + len(sentence) > _MAX_ARTICLE_EXCERPT_CHARS:
            break
        excerpt = f"{excerpt} {sentence}".strip()
    return title, excerpt
