"""Ticket topics about money and access: billing, refunds, signing in, two-factor codes,
cancelling, exporting one's data. Assembled in app.demo.topics."""

from __future__ import annotations

from app.demo.text import Template, Topic


BILLING = Topic(
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
)


REFUNDS = Topic(
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
)


LOGIN = Topic(
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
)


TWO_FACTOR = Topic(
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
)


CANCELLATION = Topic(
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
)


DATA_EXPORT = Topic(
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
)
