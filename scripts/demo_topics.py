"""What helpdesk tickets are about: twelve topics, in six languages, for the demo data and benchmarks.

Each topic carries ticket templates (subjects and descriptions with `{slot}`s), the conversation that
follows (customer follow-ups, first replies, resolutions), the tags a ticket gets and the expertise
tag of the agents who handle it. `scripts.demo_corpus` turns them into a realistic corpus;
`scripts.bench.big_org` into 100,000 tickets with the same vocabulary.
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

TOPICS: tuple[Topic, ...] = (
    Topic(
        key="billing",
        tags=("billing", "invoice", "payment"),
        expertise="billing",
        priority_weights=(2, 6, 3, 1),
        english=(
            Template("Charged twice for my {plan} subscription",
                     "I was charged {amount} twice this month for the {plan} plan. Both charges show on my card statement "
                     "from the same day. Can you check invoice {invoice} and reverse the duplicate?"),
            Template("Invoice {invoice} shows the wrong VAT number",
                     "Our VAT number is missing from invoice {invoice}, so our accounting team cannot book it. Could you "
                     "reissue the invoice with the company details from our billing profile?"),
            Template("Card declined when upgrading to {plan}",
                     "Every time I try to upgrade to {plan} the payment page says my card was declined. The bank says "
                     "nothing was blocked on their side. I tried two different cards in {browser}."),
            Template("Why did my bill go up to {amount}?",
                     "My last invoice was {amount}, much higher than usual. I did not add any seats. Please explain "
                     "what changed on invoice {invoice}."),
            Template("Need to change the billing email address",
                     "Invoices still go to our former finance manager. How do we change the billing contact so the "
                     "next invoice reaches accounts@ our domain?"),
            Template("Payment failed but the money left my account",
                     "The checkout showed 'payment failed' but {amount} was taken from my bank account. Now my "
                     "subscription is marked unpaid. Order {order}."),
        ),
        follow_ups=("I attached a screenshot of the bank statement.", "Any update on this? It has been {days} days.",
                    "Our finance team needs this before the end of the month.",
                    "Just checked again and the duplicate charge is still there."),  # fmt: skip
        replies=("Thanks for reaching out. I can see the charges on your account and I'm checking them with our "
                 "payments team now.",
                 "Sorry about the confusion with your invoice. Could you confirm the last four digits of the card "
                 "that was charged?",
                 "I've looked into invoice {invoice}: the increase comes from the annual price change of the {plan} "
                 "plan. I'm happy to walk you through it."),  # fmt: skip
        resolutions=("The duplicate charge of {amount} has been refunded; it should appear on your statement within "
                     "{days} business days.",
                     "I've reissued invoice {invoice} with your VAT number. You can download it from Billing > "
                     "Invoices."),  # fmt: skip
        translated={
            "es": (Template("Me cobraron dos veces la suscripción {plan}",
                            "Hola, este mes me han cobrado {amount} dos veces por el plan {plan}. Los dos cargos aparecen "
                            "el mismo día en mi tarjeta. ¿Pueden revisar la factura {invoice} y devolver el duplicado?"),),
            "fr": (Template("Facture {invoice} : numéro de TVA manquant",
                            "Bonjour, notre numéro de TVA n'apparaît pas sur la facture {invoice}. Notre comptable ne peut "
                            "pas l'enregistrer. Pouvez-vous émettre une nouvelle facture ?"),),
            "de": (Template("Doppelte Abbuchung für das {plan}-Abo",
                            "Guten Tag, mir wurden diesen Monat zweimal {amount} für den {plan}-Tarif abgebucht. Bitte "
                            "prüfen Sie die Rechnung {invoice} und erstatten Sie die doppelte Zahlung."),),
            "it": (Template("Addebito doppio sull'abbonamento {plan}",
                            "Buongiorno, questo mese mi sono stati addebitati {amount} due volte per il piano {plan}. "
                            "Potete controllare la fattura {invoice} e rimborsare il doppio addebito?"),),
            "pt": (Template("Cobrança em dobro na assinatura {plan}",
                            "Olá, fui cobrado {amount} duas vezes este mês pelo plano {plan}. As duas cobranças aparecem "
                            "no cartão no mesmo dia. Podem verificar a fatura {invoice}?"),),
        },
    ),
    Topic(
        key="refunds",
        tags=("refunds", "billing"),
        expertise="refunds",
        priority_weights=(2, 6, 2, 1),
        english=(
            Template("Refund request for order {order}",
                     "I returned the {product} from order {order} {days} days ago and the carrier confirmed delivery to "
                     "your warehouse. I still haven't received my refund of {amount}."),
            Template("Requesting a refund for the annual {plan} plan",
                     "We renewed the annual {plan} plan by mistake yesterday. We only need the monthly plan. Can we get "
                     "a refund of {amount} and switch?"),
            Template("Refund still not on my card",
                     "Your agent confirmed my refund for order {order} over a week ago but nothing shows on my card. How "
                     "long does it take?"),
            Template("Partial refund for the late delivery?",
                     "Order {order} arrived {days} days after the promised date and we had to buy a replacement locally. "
                     "Is a partial refund possible?"),
            Template("Refund to a different payment method",
                     "The card I paid with has been cancelled by my bank. Can the refund of {amount} for order {order} "
                     "go to PayPal or a bank transfer instead?"),
        ),
        follow_ups=("Here is the return tracking number from {carrier}.", "It's been {days} days now, please advise.",
                    "My bank says they have no incoming refund on file."),  # fmt: skip
        replies=("I'm sorry for the wait. I can see the return for order {order} was received and I've asked our "
                 "finance team to release the refund.",
                 "Thanks for the details. Refunds go back to the original payment method; let me check whether we "
                 "can make an exception."),  # fmt: skip
        resolutions=("Your refund of {amount} was issued today. Depending on your bank it takes {days} business days "
                     "to appear.",
                     "We've refunded the annual plan and moved you to monthly billing. Nothing else is needed on "
                     "your side."),  # fmt: skip
        translated={
            "es": (Template("Solicitud de reembolso del pedido {order}",
                            "Devolví el {product} del pedido {order} hace {days} días y todavía no he recibido el reembolso "
                            "de {amount}. ¿Pueden revisarlo?"),),
            "fr": (Template("Demande de remboursement pour la commande {order}",
                            "J'ai renvoyé le {product} de la commande {order} il y a {days} jours. Le remboursement de "
                            "{amount} n'est toujours pas arrivé sur ma carte."),),
            "de": (Template("Rückerstattung für Bestellung {order} fehlt",
                            "Ich habe den {product} aus Bestellung {order} vor {days} Tagen zurückgeschickt. Die "
                            "Rückerstattung über {amount} ist noch nicht angekommen."),),
            "it": (Template("Richiesta di rimborso per l'ordine {order}",
                            "Ho restituito il {product} dell'ordine {order} {days} giorni fa ma non ho ancora ricevuto il "
                            "rimborso di {amount}."),),
            "pt": (Template("Pedido de reembolso da encomenda {order}",
                            "Devolvi o {product} da encomenda {order} há {days} dias e ainda não recebi o reembolso de "
                            "{amount}. Podem verificar?"),),
        },
    ),
    Topic(
        key="login",
        tags=("login", "password", "account"),
        expertise="login",
        priority_weights=(1, 5, 4, 1),
        english=(
            Template("Can't log in after resetting my password",
                     "I reset my password this morning, but the login page keeps saying 'invalid credentials'. I tried "
                     "{browser} and the mobile app. Error: {error}."),
            Template("Password reset email never arrives",
                     "I've requested the password reset link {count} times and nothing arrives, not even in spam. My "
                     "address hasn't changed."),
            Template("Account locked after too many attempts",
                     "My account got locked after a few failed logins and I need to access it today for a customer "
                     "demo. How do I unlock it?"),
            Template("SSO login loops back to the sign-in page",
                     "Since {weekday}, signing in with our company SSO redirects back to the login page in a loop. "
                     "About {count} people on our team are affected."),
            Template("Logged out every few minutes",
                     "The web app logs me out every few minutes with '{error}'. It started after the last update."),
            Template("Reset link says it has expired",
                     "The password reset link says it has expired even though I click it right away. I'm on {browser}."),
        ),
        follow_ups=("Still can't get in. I cleared cookies as suggested.", "It works in {browser} but not in the app.",
                    "Our whole team is blocked, please hurry."),  # fmt: skip
        replies=("Sorry you're locked out. I've checked your account and the reset emails were bounced by your mail "
                 "server; could you allowlist our sending domain?",
                 "Thanks for the details. Could you try a private browser window and tell me if the error changes?"),
        resolutions=("I've unlocked your account and sent a fresh reset link that is valid for one hour.",
                     "The SSO loop was caused by an expired certificate on our side. It has been renewed and logins "
                     "work again."),  # fmt: skip
        translated={
            "es": (Template("No puedo iniciar sesión después de cambiar la contraseña",
                            "Cambié mi contraseña esta mañana y la página de acceso sigue diciendo 'credenciales no "
                            "válidas'. He probado en {browser} y en la app."),),
            "fr": (Template("Impossible de me connecter après la réinitialisation du mot de passe",
                            "J'ai réinitialisé mon mot de passe ce matin mais la connexion échoue toujours avec le "
                            "message « {error} ». J'ai essayé avec {browser}."),),
            "de": (Template("Passwort-Reset-E-Mail kommt nicht an",
                            "Ich habe den Link zum Zurücksetzen des Passworts {count}-mal angefordert, aber keine E-Mail "
                            "erhalten, auch nicht im Spam-Ordner."),),
            "it": (Template("Account bloccato dopo troppi tentativi",
                            "Il mio account è stato bloccato dopo alcuni tentativi di accesso falliti. Devo accedere oggi "
                            "per una demo con un cliente."),),
            "pt": (Template("Não consigo entrar depois de redefinir a senha",
                            "Redefini a minha senha hoje de manhã, mas o login continua a dizer 'credenciais inválidas'. "
                            "Já tentei no {browser} e na aplicação."),),
        },
    ),
    Topic(
        key="two-factor",
        tags=("two-factor", "security", "account"),
        expertise="two-factor",
        priority_weights=(1, 4, 5, 2),
        english=(
            Template("Lost my phone, can't get two-factor codes",
                     "My phone was stolen and with it my authenticator app. I can't log in without the two-factor code "
                     "and I don't have my backup codes."),
            Template("Two-factor codes are always rejected",
                     "The six-digit codes from my authenticator app are always rejected as invalid. The clock on my "
                     "{device} is set automatically."),
            Template("How do I enforce 2FA for the whole team?",
                     "We need every member of our workspace to use two-factor authentication for our security audit. "
                     "Is there an admin setting to enforce it?"),
            Template("SMS verification code never arrives",
                     "The SMS with the verification code never arrives on my {device}. I'm travelling in {city} at the "
                     "moment."),
            Template("Switching 2FA to a new phone",
                     "I got a new {device}. How do I move two-factor authentication over without losing access?"),
        ),
        follow_ups=("I can verify my identity with my last invoice number, {invoice}.",
                    "The codes still fail even after syncing the time.", "Our audit is on {weekday}."),  # fmt: skip
        replies=("For your security we need to verify your identity before removing two-factor authentication. "
                 "Please reply from your account email with your last invoice number.",
                 "Codes are usually rejected when the phone's clock drifts. Could you sync the time in your "
                 "authenticator app settings?"),  # fmt: skip
        resolutions=("Identity verified: two-factor authentication has been reset. Please set it up again right "
                     "after logging in.",
                     "Admins can now enforce 2FA under Settings > Security > Require two-factor authentication."),
        translated={
            "es": (Template("Perdí el móvil y no recibo los códigos de verificación en dos pasos",
                            "Me robaron el móvil con la app de autenticación. No puedo entrar sin el código de "
                            "verificación y no tengo los códigos de respaldo."),),
            "fr": (Template("Codes d'authentification à deux facteurs refusés",
                            "Les codes à six chiffres de mon application d'authentification sont toujours refusés. "
                            "L'heure de mon {device} est réglée automatiquement."),),
            "de": (Template("Zwei-Faktor-Authentifizierung auf neues Handy übertragen",
                            "Ich habe ein neues {device}. Wie übertrage ich die Zwei-Faktor-Authentifizierung, ohne den "
                            "Zugang zu verlieren?"),),
            "it": (Template("Il codice SMS di verifica non arriva",
                            "Il codice di verifica via SMS non arriva mai sul mio {device}. Sono in viaggio a {city}."),),
            "pt": (Template("Perdi o telemóvel e não tenho os códigos de dois fatores",
                            "O meu telemóvel foi roubado com a aplicação de autenticação. Não consigo entrar sem o "
                            "código de dois fatores."),),
        },
    ),
    Topic(
        key="api",
        tags=("api", "webhooks", "integration"),
        expertise="api",
        priority_weights=(1, 4, 4, 2),
        english=(
            Template("Webhooks stopped firing for order events",
                     "Since {weekday} our endpoint no longer receives the order.created webhook. The delivery log shows "
                     "'{error}' for every attempt. Nothing changed on our side."),
            Template("API returns {status_code} on {endpoint}",
                     "Calls to {endpoint} started failing with HTTP {status_code} about an hour ago. Other endpoints "
                     "work with the same API key. Request id attached."),
            Template("Rate limit too low for our nightly sync",
                     "Our nightly sync of {count}k records keeps hitting 429 Too Many Requests on {endpoint}. Can the "
                     "limit be raised for our {plan} account?"),
            Template("Webhook signature verification fails",
                     "We verify the webhook signature with the signing secret as documented, but the HMAC never matches "
                     "for events from {endpoint}."),
            Template("Pagination on {endpoint} skips records",
                     "When paging through {endpoint} with the cursor, some records appear twice and others never. Is "
                     "the ordering stable?"),
            Template("API key rotation without downtime",
                     "What's the recommended way to rotate our API key without breaking the integration in production?"),
        ),
        follow_ups=("Here's a request id from the failing calls: req_{order}.", "Still seeing {status_code} errors.",
                    "We've paused our deploys until this is clear."),  # fmt: skip
        replies=("Thanks for the request ids. I can see the failures in our logs and I've escalated them to the API "
                 "team.",
                 "The signature is computed over the raw request body; if your framework parses the JSON first the "
                 "HMAC will not match. Could you check that?"),  # fmt: skip
        resolutions=("A faulty deploy of the webhook dispatcher caused this; it was rolled back and the missed "
                     "events have been replayed.",
                     "We raised the rate limit for {endpoint} on your account to 1,000 requests per minute."),
        translated={
            "es": (Template("Los webhooks dejaron de funcionar",
                            "Desde el {weekday} nuestro servidor ya no recibe el webhook order.created. El registro de "
                            "entregas muestra '{error}' en cada intento."),),
            "fr": (Template("L'API renvoie une erreur {status_code} sur {endpoint}",
                            "Les appels à {endpoint} échouent avec une erreur HTTP {status_code} depuis une heure. Les "
                            "autres endpoints fonctionnent avec la même clé API."),),
            "de": (Template("Webhook-Signatur stimmt nicht",
                            "Wir prüfen die Webhook-Signatur wie dokumentiert mit dem Signing Secret, aber der HMAC "
                            "stimmt nie überein."),),
            "it": (Template("Limite di richieste API troppo basso",
                            "La nostra sincronizzazione notturna riceve continuamente errori 429 su {endpoint}. È "
                            "possibile aumentare il limite?"),),
            "pt": (Template("Webhooks deixaram de chegar",
                            "Desde {weekday} o nosso endpoint não recebe o webhook order.created. O registo mostra "
                            "'{error}' em todas as tentativas."),),
        },
    ),
    Topic(
        key="mobile",
        tags=("mobile", "app"),
        expertise="mobile",
        priority_weights=(2, 6, 3, 1),
        english=(
            Template("App crashes on launch after update to {app_version}",
                     "Since updating to version {app_version} the app crashes immediately on my {device} ({os}). "
                     "Reinstalling didn't help."),
            Template("Push notifications stopped on {os}",
                     "I no longer get push notifications on my {device} running {os}, although they are enabled in the "
                     "system settings."),
            Template("Can't pair the {product} with the app",
                     "The app can't find my {product} during setup. Bluetooth is on and the device is blinking blue. "
                     "Phone: {device}."),
            Template("App is very slow on {device}",
                     "The dashboard takes almost a minute to load in the app on my {device}. The web version is fast."),
            Template("Widget shows old data",
                     "The home screen widget on {os} shows data from {days} days ago and never refreshes."),
        ),
        follow_ups=("I attached the crash log from the phone.", "Same problem on my partner's {device}.",
                    "Is there a beta I can try?"),  # fmt: skip
        replies=("Thanks for the report. Could you send the crash log from Settings > Privacy > Analytics so our "
                 "mobile team can look at it?",
                 "Sorry about that. Please make sure the app has permission to use Bluetooth and local network "
                 "access, then try the pairing again."),  # fmt: skip
        resolutions=("Version {app_version} of the app fixes the crash on launch; it's rolling out on the app store "
                     "today.",
                     "Glad the pairing worked after resetting the {product}!"),  # fmt: skip
        translated={
            "es": (Template("La app se cierra al abrirla tras actualizar a {app_version}",
                            "Desde que actualicé a la versión {app_version} la aplicación se cierra nada más abrirla en "
                            "mi {device}."),),
            "fr": (Template("Plus de notifications push sur {os}",
                            "Je ne reçois plus de notifications push sur mon {device} sous {os}, alors qu'elles sont "
                            "activées dans les réglages."),),
            "de": (Template("{product} lässt sich nicht mit der App koppeln",
                            "Die App findet meinen {product} bei der Einrichtung nicht. Bluetooth ist an und das Gerät "
                            "blinkt blau."),),
            "it": (Template("L'app è lentissima sul mio {device}",
                            "La dashboard impiega quasi un minuto a caricarsi nell'app sul mio {device}. La versione "
                            "web è veloce."),),
            "pt": (Template("A aplicação fecha ao abrir depois da atualização",
                            "Desde que atualizei para a versão {app_version} a aplicação fecha logo ao abrir no meu "
                            "{device}."),),
        },
    ),
    Topic(
        key="shipping",
        tags=("shipping", "delivery", "order"),
        expertise="shipping",
        priority_weights=(2, 6, 3, 1),
        english=(
            Template("Where is my order {order}?",
                     "I ordered a {product} {days} days ago and the tracking from {carrier} hasn't updated since it left "
                     "the warehouse. Order {order}."),
            Template("Package marked delivered but not received",
                     "{carrier} says order {order} was delivered yesterday, but nothing arrived. I checked with my "
                     "neighbours in {city}."),
            Template("Wrong item in my package",
                     "I ordered a {product} but the box contained something else. Order {order}. How do I get the right "
                     "item?"),
            Template("Change the shipping address for order {order}",
                     "I just realised order {order} will go to my old address. Can you change it to my new address in "
                     "{city} before it ships?"),
            Template("Damaged {product} on arrival",
                     "The {product} from order {order} arrived with a cracked case; the box was crushed. Photos "
                     "attached."),
            Template("Customs fees for delivery to {city}",
                     "{carrier} is asking me to pay customs fees for order {order}. The checkout said duties were "
                     "included."),
        ),
        follow_ups=("Tracking still shows the same status.", "Here are the photos of the box.",
                    "I need it before {weekday}, it's a gift."),  # fmt: skip
        replies=("Sorry for the trouble with your delivery. I've opened an investigation with {carrier}; they usually "
                 "answer within two business days.",
                 "Thanks for the photos. I'm arranging a replacement for the damaged {product} right away."),
        resolutions=("A replacement {product} has shipped with {carrier}; you'll receive the tracking number by email.",
                     "{carrier} found the package at a neighbouring address and it was delivered this morning."),
        translated={
            "es": (Template("¿Dónde está mi pedido {order}?",
                            "Pedí un {product} hace {days} días y el seguimiento de {carrier} no se ha actualizado desde "
                            "que salió del almacén."),
                   Template("Paquete marcado como entregado pero no recibido",
                            "{carrier} dice que el pedido {order} se entregó ayer, pero no ha llegado nada a mi casa en "
                            "{city}."),),  # fmt: skip
            "fr": (Template("Où est ma commande {order} ?",
                            "J'ai commandé un {product} il y a {days} jours et le suivi {carrier} n'a pas bougé depuis "
                            "le départ de l'entrepôt."),
                   Template("Produit endommagé à la livraison",
                            "Le {product} de la commande {order} est arrivé avec le boîtier fissuré. Le carton était "
                            "écrasé."),),  # fmt: skip
            "de": (Template("Wo ist meine Bestellung {order}?",
                            "Ich habe vor {days} Tagen einen {product} bestellt, aber die Sendungsverfolgung von "
                            "{carrier} zeigt seit dem Versand nichts Neues."),
                   Template("Falscher Artikel im Paket",
                            "Ich habe einen {product} bestellt, aber im Paket war etwas anderes. Bestellung {order}."),),
            "it": (Template("Dov'è il mio ordine {order}?",
                            "Ho ordinato un {product} {days} giorni fa e il tracciamento di {carrier} non si aggiorna da "
                            "quando è partito dal magazzino."),),
            "pt": (Template("Onde está a minha encomenda {order}?",
                            "Encomendei um {product} há {days} dias e o rastreamento da {carrier} não atualiza desde que "
                            "saiu do armazém."),
                   Template("Encomenda entregue mas não recebida",
                            "A {carrier} diz que a encomenda {order} foi entregue ontem, mas não recebi nada em "
                            "{city}."),),  # fmt: skip
        },
    ),
    Topic(
        key="outage",
        tags=("outage", "incident"),
        expertise="outage",
        priority_weights=(0, 1, 4, 6),
        english=(
            Template("Dashboard down - {status_code} errors",
                     "The dashboard returns {status_code} for everyone in our team since about 20 minutes ago. Is there "
                     "an outage in {region}?"),
            Template("Service unavailable in {region}",
                     "None of our devices can reach the cloud since this morning and the app shows '{error}'. Our "
                     "business depends on this."),
            Template("Everything is down?",
                     "Nothing loads: web app, mobile app and API all time out. Status page says all systems "
                     "operational. {region} region."),
            Template("Very slow responses and timeouts",
                     "For the past hour every page takes 30+ seconds and half the API calls time out with "
                     "{status_code}."),
        ),
        follow_ups=("Still down for us.", "It's back for some users but not all.", "We're losing sales every minute."),
        replies=("We're aware of an incident affecting the {region} region and our engineers are working on it. "
                 "Updates are posted on our status page.",
                 "Thanks for reporting. We've confirmed elevated error rates and opened an incident."),  # fmt: skip
        resolutions=("The incident in {region} is resolved: a database failover took longer than expected. We're "
                     "sorry for the disruption.",
                     "Service has been fully restored. A post-incident report will be published within {days} days."),
        translated={
            "es": (Template("Servicio caído en {region}",
                            "Ninguno de nuestros dispositivos puede conectarse a la nube desde esta mañana y la app "
                            "muestra '{error}'. Es urgente."),),
            "fr": (Template("Tout est en panne ?",
                            "Rien ne se charge : application web, application mobile et API sont en timeout. Région "
                            "{region}."),),
            "de": (Template("Dashboard nicht erreichbar - Fehler {status_code}",
                            "Das Dashboard liefert seit etwa 20 Minuten für unser ganzes Team den Fehler "
                            "{status_code}. Gibt es eine Störung in {region}?"),),
            "it": (Template("Servizio non disponibile in {region}",
                            "Nessuno dei nostri dispositivi riesce a collegarsi al cloud da stamattina. L'app mostra "
                            "'{error}'."),),
            "pt": (Template("Serviço fora do ar em {region}",
                            "Nenhum dos nossos dispositivos consegue ligar-se à nuvem desde esta manhã. A aplicação "
                            "mostra '{error}'."),),
        },
    ),
    Topic(
        key="data-export",
        tags=("data-export", "gdpr", "data"),
        expertise="data-export",
        priority_weights=(3, 6, 2, 0),
        english=(
            Template("How do I export all our data as {format}?",
                     "We need a full export of our account data in {format} for our annual audit. The export button "
                     "only gives the last 30 days."),
            Template("Data export stuck at 0%",
                     "I started a data export {days} hours ago and it's still at 0%. Is something wrong?"),
            Template("GDPR request: copy of my personal data",
                     "Under Article 15 of the GDPR I request a copy of all personal data you hold about me."),
            Template("Export file is missing columns",
                     "The {format} export doesn't include the custom fields we added. Is there a way to include them?"),
            Template("Delete my account and all data",
                     "Please delete my account and all associated personal data, and confirm once it's done."),
        ),
        follow_ups=("Any news on the export?", "The legal deadline is in {days} days.",
                    "The download link in the email has expired."),  # fmt: skip
        replies=("Thanks for your request. Full exports are generated under Settings > Data > Export; for more than "
                 "30 days choose 'All time'.",
                 "We've received your data request and will complete it within the legal deadline."),  # fmt: skip
        resolutions=("Your export is ready: the {format} file includes custom fields now. The link is valid for 7 days.",
                     "Your account and personal data have been deleted. This ticket is the last message you'll get "
                     "from us."),  # fmt: skip
        translated={
            "es": (Template("Solicitud RGPD: copia de mis datos personales",
                            "De acuerdo con el artículo 15 del RGPD solicito una copia de todos los datos personales que "
                            "tienen sobre mí."),),
            "fr": (Template("Exporter toutes nos données en {format}",
                            "Nous avons besoin d'un export complet de nos données en {format} pour notre audit annuel. "
                            "Le bouton d'export ne donne que les 30 derniers jours."),),
            "de": (Template("DSGVO-Auskunft über meine Daten",
                            "Gemäß Art. 15 DSGVO bitte ich um eine Kopie aller personenbezogenen Daten, die Sie über "
                            "mich speichern."),),
            "it": (Template("Esportazione dati bloccata allo 0%",
                            "Ho avviato un'esportazione dei dati {days} ore fa ed è ancora allo 0%."),),
            "pt": (Template("Eliminar a minha conta e todos os dados",
                            "Peço que eliminem a minha conta e todos os dados pessoais associados, e que confirmem "
                            "quando estiver feito."),),
        },
    ),
    Topic(
        key="cancellation",
        tags=("cancellation", "billing", "churn-risk"),
        expertise="cancellation",
        priority_weights=(2, 6, 3, 0),
        english=(
            Template("Please cancel my subscription",
                     "I'd like to cancel my {plan} subscription at the end of the current billing period. We no longer "
                     "need the service."),
            Template("Cancel - too expensive for us",
                     "The price increase to {amount} is too much for a small team like ours. Please cancel unless there "
                     "is a cheaper option."),
            Template("Switching to another provider",
                     "We've decided to move to another provider because we need {feature}. How do we cancel and keep "
                     "our data?"),
            Template("Cancel renewal, we were charged anyway",
                     "I cancelled before the renewal date but was still charged {amount}. Please cancel for real and "
                     "refund."),
            Template("Pause instead of cancel?",
                     "We're a seasonal business. Can we pause the {plan} plan for {count} months instead of cancelling?"),
        ),
        follow_ups=("Please confirm the cancellation in writing.", "I don't want a discount, just cancel it.",
                    "A pause would work for us, thanks."),  # fmt: skip
        replies=("Sorry to see you go. Before I process it: we can offer {count} months at 50% off the {plan} plan if "
                 "that helps.",
                 "I understand. I'll cancel the renewal; you keep access until the end of the paid period."),
        resolutions=("Your subscription is cancelled and won't renew. Your data stays available for export for 30 days.",
                     "Your plan is paused for {count} months; billing resumes automatically afterwards."),
        translated={
            "es": (Template("Quiero cancelar mi suscripción",
                            "Quiero cancelar mi suscripción {plan} al final del periodo de facturación actual. Ya no "
                            "necesitamos el servicio."),
                   Template("Cancelar: demasiado caro",
                            "La subida de precio a {amount} es demasiado para un equipo pequeño. Por favor, cancelen la "
                            "cuenta."),),  # fmt: skip
            "fr": (Template("Résiliation de mon abonnement",
                            "Je souhaite résilier mon abonnement {plan} à la fin de la période en cours. Nous n'avons "
                            "plus besoin du service."),),
            "de": (Template("Kündigung meines Abonnements",
                            "Hiermit kündige ich mein {plan}-Abonnement zum Ende des aktuellen Abrechnungszeitraums. "
                            "Bitte bestätigen Sie die Kündigung."),
                   Template("Kündigung trotzdem abgebucht",
                            "Ich habe vor dem Verlängerungsdatum gekündigt, aber trotzdem wurden {amount} abgebucht."),),
            "it": (Template("Disdetta dell'abbonamento",
                            "Vorrei disdire il mio abbonamento {plan} alla fine del periodo di fatturazione. Non ci "
                            "serve più il servizio."),),
            "pt": (Template("Cancelar a minha assinatura",
                            "Quero cancelar a minha assinatura {plan} no fim do período de faturação atual."),),
        },
    ),
    Topic(
        key="feature-request",
        tags=("feature-request", "feedback"),
        expertise="feature-request",
        priority_weights=(6, 4, 0, 0),
        english=(
            Template("Feature request: {feature}",
                     "It would really help our team if you added {feature}. We'd use it every day."),
            Template("Any plans for {feature}?",
                     "Is {feature} on your roadmap? It's the main thing keeping {count} more teams at our company from "
                     "switching to you."),
            Template("Suggestion to improve the dashboard",
                     "Small suggestion: let us reorder the dashboard widgets and save the layout per user."),
            Template("Would love {feature}",
                     "Love the product! The one thing missing for us is {feature}."),
        ),
        follow_ups=("Happy to join a beta if you have one.", "Any timeline you can share?"),
        replies=("Thanks for the suggestion! I've shared it with our product team and added your vote to the "
                 "request for {feature}.",
                 "Great idea. It's not on the roadmap yet, but requests like yours decide what we build next."),
        resolutions=("Good news: {feature} shipped today in version {app_version}!",
                     "Thanks again: your request is logged and the product team will reach out if they need details."),
        translated={
            "es": (Template("Sugerencia: {feature}", "Nos ayudaría mucho que añadieran {feature}. Lo usaríamos a diario."),),
            "fr": (Template("Suggestion : {feature}", "Ce serait vraiment utile d'avoir {feature}. Nous l'utiliserions tous les jours."),),
            "de": (Template("Funktionswunsch: {feature}", "Es wäre sehr hilfreich, wenn Sie {feature} einbauen könnten."),),
            "it": (Template("Richiesta di funzionalità: {feature}", "Sarebbe molto utile avere {feature}. Lo useremmo ogni giorno."),),
            "pt": (Template("Sugestão: {feature}", "Seria muito útil terem {feature}. Usaríamos todos os dias."),),
        },
    ),
    Topic(
        key="bug",
        tags=("bug",),
        expertise="bug",
        priority_weights=(2, 5, 3, 1),
        english=(
            Template("Save button does nothing in {browser}",
                     "When I edit a customer profile and click Save in {browser}, nothing happens. The console shows "
                     "'{error}'."),
            Template("Dates shown in the wrong time zone",
                     "All dates in reports are shown in UTC even though my profile is set to {city} time."),
            Template("Search returns no results for names with accents",
                     "Searching for customers with accented names like 'José' or 'Zoë' returns nothing."),
            Template("CSV import fails on line {count}",
                     "Importing our customer list fails with '{error}' on line {count}. The file is valid UTF-8."),
            Template("Report totals don't add up",
                     "The monthly report shows a total of {amount} but the individual lines add up to less."),
            Template("Buttons overlap on small screens",
                     "On my {device} the Save and Cancel buttons overlap, so I can't tap Save."),
        ),
        follow_ups=("Here are the steps to reproduce.", "Still happening in version {app_version}.",
                    "Found a workaround: it works in a private window."),  # fmt: skip
        replies=("Thanks for the detailed report. I could reproduce it and filed a bug with our engineering team.",
                 "Sorry about this. Could you send a screenshot and the exact time it happened so we can find it in "
                 "the logs?"),  # fmt: skip
        resolutions=("The fix for this bug was deployed today. Please reload the page and let us know if it persists.",
                     "Fixed in version {app_version}, which is available now."),  # fmt: skip
        translated={
            "es": (Template("El botón Guardar no hace nada en {browser}",
                            "Cuando edito un perfil de cliente y pulso Guardar en {browser}, no pasa nada."),),
            "fr": (Template("Les dates s'affichent dans le mauvais fuseau horaire",
                            "Toutes les dates des rapports sont en UTC alors que mon profil est réglé sur l'heure de "
                            "{city}."),),
            "de": (Template("CSV-Import schlägt in Zeile {count} fehl",
                            "Der Import unserer Kundenliste bricht mit '{error}' in Zeile {count} ab. Die Datei ist "
                            "gültiges UTF-8."),),
            "it": (Template("I totali del report non tornano",
                            "Il report mensile mostra un totale di {amount} ma la somma delle righe è inferiore."),),
            "pt": (Template("O botão Guardar não faz nada no {browser}",
                            "Quando edito um perfil de cliente e carrego em Guardar no {browser}, nada acontece."),),
        },
    ),
)

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


def fill(template: str, slots: dict[str, str]) -> str:
    return template.format_map(slots)
