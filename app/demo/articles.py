"""Knowledge-base articles for the demo organizations: three or four per ticket topic, some drafts.

`{company}` and `{product}` are filled in per organization.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArticleDraft:
    topic: str  # a key of app.demo.topics.TOPIC_BY_KEY, or "general"
    title: str
    content: str
    published: bool = True


ARTICLES: tuple[ArticleDraft, ...] = (
    # billing
    ArticleDraft("billing", "Understanding your invoice",
                 "Every invoice lists the plan, the number of seats and the billing period. Prorated lines appear "
                 "when you add seats mid-cycle.\n\nYou can download past invoices as PDF under Billing > Invoices. "
                 "If a line looks wrong, reply to the invoice email and our billing team will check it."),
    ArticleDraft("billing", "Adding a VAT number or company details to invoices",
                 "Go to Billing > Company details and enter the legal name, address and VAT number. New invoices "
                 "include them automatically.\n\nTo correct an invoice that was already issued, contact support with "
                 "the invoice number; we reissue it within one business day."),
    ArticleDraft("billing", "Why was my card declined?",
                 "Most declines come from the card issuer: insufficient funds, 3-D Secure not completed, or a block on "
                 "foreign transactions.\n\nTry again after approving the payment in your banking app, or add another "
                 "card under Billing > Payment methods. A failed payment is never charged."),
    ArticleDraft("billing", "Duplicate charges: what to do",
                 "A pending authorisation can look like a second charge and disappears within a few days. If two "
                 "charges settle, contact us with the invoice number and we refund the duplicate immediately."),
    # refunds
    ArticleDraft("refunds", "Refund policy",
                 "Hardware such as the {product} can be returned within 30 days for a full refund. Annual plans are "
                 "refundable within 14 days of renewal.\n\nRefunds go back to the original payment method."),
    ArticleDraft("refunds", "How long does a refund take?",
                 "We issue refunds within two business days after the return arrives at our warehouse. Your bank then "
                 "needs 3 to 10 business days to show it on your statement."),
    ArticleDraft("refunds", "Returning a {product}",
                 "Start a return under Orders > Return an item, print the prepaid label and drop the parcel at any "
                 "carrier point. Keep the tracking number until the refund arrives."),
    # login
    ArticleDraft("login", "Resetting your password",
                 "Click 'Forgot password' on the sign-in page and enter your account email. The reset link is valid "
                 "for one hour.\n\nIf the email does not arrive, check your spam folder and make sure your mail server "
                 "accepts messages from our domain."),
    ArticleDraft("login", "Unlocking a locked account",
                 "After ten failed sign-in attempts an account is locked for 30 minutes. An admin of your workspace "
                 "can unlock it sooner under Settings > Members."),
    ArticleDraft("login", "Troubleshooting single sign-on (SSO)",
                 "Redirect loops usually mean the identity provider's certificate changed or the clock of the server "
                 "is off. Upload the new certificate under Settings > Security > SSO and try again.", published=False),
    # two-factor
    ArticleDraft("two-factor", "Setting up two-factor authentication",
                 "Open Settings > Security, choose 'Enable two-factor authentication' and scan the QR code with an "
                 "authenticator app. Save the backup codes somewhere safe."),
    ArticleDraft("two-factor", "Lost access to your two-factor device",
                 "Sign in with one of your backup codes. Without them, contact support from your account email: we "
                 "verify your identity before resetting two-factor authentication."),
    ArticleDraft("two-factor", "Enforcing two-factor authentication for your team",
                 "Admins can require two-factor authentication for every member under Settings > Security. Members "
                 "without it are asked to set it up at their next sign-in."),
    # api
    ArticleDraft("api", "Getting started with the {company} API",
                 "Create an API key under Settings > API keys and send it as a Bearer token. All endpoints live under "
                 "/v2 and return JSON.\n\nUse cursor pagination: pass the `next_cursor` value of one page to fetch the "
                 "next."),
    ArticleDraft("api", "Verifying webhook signatures",
                 "Each webhook carries an X-Signature header: an HMAC-SHA256 of the raw request body with your signing "
                 "secret. Compute it over the bytes you received, before any JSON parsing."),
    ArticleDraft("api", "API rate limits",
                 "Each key may send 600 requests per minute. Over the limit the API answers 429 with a Retry-After "
                 "header. Business and Enterprise plans can ask for higher limits."),
    ArticleDraft("api", "Webhook retries and the delivery log",
                 "Failed deliveries are retried with exponential backoff for 24 hours. The delivery log under "
                 "Settings > Webhooks shows each attempt and lets you replay events.", published=False),
    # mobile
    ArticleDraft("mobile", "Installing and updating the mobile app",
                 "The app is available for iOS 16+ and Android 12+. Turn on automatic updates to get fixes as soon as "
                 "they are released."),
    ArticleDraft("mobile", "Pairing a {product} with your phone",
                 "Open the app, tap Add device and hold the {product} close to your phone. Bluetooth and location "
                 "permissions are required for pairing."),
    ArticleDraft("mobile", "Push notifications are not arriving",
                 "Check that notifications are allowed for the app in the system settings and that battery saving "
                 "does not restrict it. Signing out and in again refreshes the notification token."),
    # shipping
    ArticleDraft("shipping", "Shipping times and carriers",
                 "Orders ship within one business day with UPS, DHL or GLS depending on your country. Standard "
                 "delivery takes 2-5 business days in Europe and North America."),
    ArticleDraft("shipping", "My package says delivered but I don't have it",
                 "Check with neighbours and your building's reception first. If it doesn't turn up within 48 hours, "
                 "contact us: we open an investigation with the carrier and send a replacement if it is lost."),
    ArticleDraft("shipping", "Changing the delivery address",
                 "You can change the address until the order ships, under Orders > Edit. After shipping, use the "
                 "carrier's redirect service with your tracking number."),
    ArticleDraft("shipping", "Customs and import duties",
                 "Prices include duties for deliveries within the EU, UK and US. For other countries the carrier may "
                 "collect import fees on delivery.", published=False),
    # outage
    ArticleDraft("outage", "Checking the service status",
                 "Our status page shows live availability per region and a history of incidents. Subscribe to it to "
                 "get updates by email or SMS."),
    ArticleDraft("outage", "What happens during an incident",
                 "When we detect elevated errors we open an incident, post updates every 30 minutes and publish a "
                 "post-incident report within five business days."),
    ArticleDraft("outage", "Service level agreement",
                 "Business and Enterprise plans include a 99.9% monthly uptime commitment with service credits when "
                 "it is missed."),
    # data-export
    ArticleDraft("data-export", "Exporting your data",
                 "Go to Settings > Data > Export, choose the period (or 'All time') and the format: CSV, JSON or XLSX. "
                 "We email a download link when the export is ready; it stays valid for 7 days."),
    ArticleDraft("data-export", "GDPR requests: access and deletion",
                 "You can request a copy of your personal data or its deletion at any time. We answer within 30 days "
                 "as required by the GDPR."),
    ArticleDraft("data-export", "Including custom fields in exports",
                 "Tick 'Include custom fields' in the export dialog. Custom fields appear as extra columns after the "
                 "standard ones.", published=False),
    # cancellation
    ArticleDraft("cancellation", "Cancelling your subscription",
                 "Admins can cancel under Billing > Plan > Cancel subscription. You keep access until the end of the "
                 "paid period and your data stays available for export for 30 days."),
    ArticleDraft("cancellation", "Pausing your plan",
                 "Seasonal businesses can pause a plan for up to three months once a year. Billing resumes "
                 "automatically at the end of the pause."),
    ArticleDraft("cancellation", "Downgrading to a smaller plan",
                 "You can switch to a smaller plan at any time under Billing > Plan. The change applies at the next "
                 "renewal and unused time is credited."),
    # feature-request
    ArticleDraft("feature-request", "How we handle feature requests",
                 "Every request is logged with the customers who asked for it. The product team reviews them monthly "
                 "and publishes what's next on the public roadmap."),
    ArticleDraft("feature-request", "Joining the beta program",
                 "Beta testers get new features a few weeks early. Opt in under Settings > Labs; you can leave at any "
                 "time."),
    ArticleDraft("feature-request", "Public roadmap",
                 "Our roadmap lists what we are building now, next and later. Vote on items to tell us what matters "
                 "to you.", published=False),
    # bug
    ArticleDraft("bug", "Reporting a bug",
                 "Tell us what you did, what you expected and what happened instead, with a screenshot and the time. "
                 "The browser console (F12) often shows the exact error."),
    ArticleDraft("bug", "Clearing the cache and trying a private window",
                 "Many display problems go away after clearing the browser cache or opening the app in a private "
                 "window, which runs without extensions."),
    # general
    ArticleDraft("general", "Contacting {company} support",
                 "Write to us from the Help menu or by email. We answer within four business hours on Business plans "
                 "and within one business day on others."),
    ArticleDraft("general", "Security at {company}",
                 "Data is encrypted in transit and at rest, backups run hourly, and we are audited yearly. Details "
                 "are in our security whitepaper.", published=False),
)
