"""Ticket topics about the product itself: the API, the mobile app, shipping, outages, feature
requests and bugs. Assembled in app.demo.topics."""

from __future__ import annotations

from app.demo.text import Template, Topic


API = Topic(
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
)


MOBILE = Topic(
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
)


SHIPPING = Topic(
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
)


OUTAGE = Topic(
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
)


FEATURE_REQUEST = Topic(
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
)


BUG = Topic(
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
)
