"""What each procedure does, in a sentence or two, for procedures whose handler has no docstring.

A handler's own docstring wins over an entry here. `tests/test_catalog.py` fails when a registered
procedure has neither, so a new procedure cannot reach the reference undocumented.
"""

from __future__ import annotations

SUMMARIES: dict[str, str] = {
    "system.status": "The server's version and time, whether the database answers, and the default AI engine "
    "and model. Public: a front end calls it before signing in.",
    "auth.login": "Sign in with email and password. Sets the signed, HttpOnly session cookie and answers "
    "the member and their organization. Repeated failures are throttled.",
    "auth.logout": "Revoke the current session and clear its cookie. Answers success even without a session.",
    "auth.me": "The caller (null for an API key), their organization, its plan, and this billing period's "
    "AI operations used, the limit (null: unlimited) and when the period resets.",
    "auth.changePassword": "Change one's own password. Other sessions of the member are revoked.",
    "tickets.list": "The organization's tickets, newest first, with their customer; filters by status, priority, "
    "tag, assignee and accent-insensitive full-text search. `total` may be capped on a very broad "
    "search, and `totalExact` then says false.",
    "tickets.get": "One ticket with its customer and its messages, oldest first. Marks the ticket read for the team.",
    "tickets.create": "Create a ticket. The description is plain text or a TipTap document, kept as sent; "
    "`descriptionText` is its plain text. A customer is found by email or created.",
    "tickets.update": "Change the fields present in the input; `null` clears a clearable field (assignee, "
    "escalation reason, SLA). The assignee must be an agent or admin of the organization.",
    "tickets.delete": "Delete a ticket and its messages.",
    "tickets.addMessage": "Append a message to a ticket's conversation, without any AI processing. A customer "
    "message raises the ticket's unread count.",
    "tickets.unreadCount": "The sum of unread counts over the tickets that are not resolved or closed.",
    "articles.list": "The knowledge base's articles, newest first; filters by published state and text search.",
    "articles.get": "One knowledge-base article.",
    "articles.create": "Create a knowledge-base article.",
    "articles.update": "Change the fields present in the input of a knowledge-base article.",
    "articles.delete": "Delete a knowledge-base article.",
    "users.list": "The organization's members with their expertise tags, optionally of one role.",
    "users.create": "Add a member to the organization (admins only).",
    "users.update": "Change a member's name, role, password, expertise or active state (admins only). "
    "The last active admin cannot be demoted or deactivated. A new password or a deactivation signs the member "
    "out everywhere; an admin who sets their own password goes on in this browser under a new session.",
    "apiKeys.create": "Create an API key with scopes. The secret is in this answer only; the server keeps a hash.",
    "apiKeys.list": "The organization's API keys: prefix, scopes, creation and last use. Never the secrets.",
    "apiKeys.revoke": "Revoke an API key; calls with it answer UNAUTHORIZED from then on.",
    "org.get": "The organization and its AI settings: model, fallback models, system prompts per operation, "
    "intent taxonomy, reply tone, auto-triage.",
    "org.update": "Change the organization's name or AI settings; only the settings present change.",
    "ai.summarizeTicket": "Summarize a ticket from its subject, description and five most recent messages, "
    "and store the summary on the ticket (`aiSummary`).",
    "ai.analyzeSentiment": "The sentiment of a text: label, score from -1 to 1, emotions and urgency. "
    "Positive is a score of at least 0.3, negative at most -0.3.",
    "ai.predictPriority": "Predict a ticket's priority from its subject and description, with confidence "
    "and reasoning.",
    "ai.suggestTags": "Suggest lowercase, deduplicated tags for a ticket's content, preferring the "
    "organization's existing tags.",
    "ai.improveText": "Rewrite a text (a reply draft) more clearly, optionally in a tone.",
    "ai.classifyTicket": "Classify a ticket's intent within the organization's taxonomy, with confidence, "
    "reasoning and the detected language; a model and system prompt may be tried instead of the "
    "organization's.",
    "ai.generateTicketEmbedding": "Compute and store a ticket's embedding (pgvector) for similarity search.",
    "ai.generateReplySuggestions": "Draft replies to a ticket in at least two different tones.",
    "ai.suggestAssignee": "Suggest the agent or admin best placed to handle a ticket, from expertise tags and "
    "resolved tickets; null when nobody fits.",
    "ai.suggestArticles": "Published knowledge-base articles relevant to a ticket; an empty list when nothing fits.",
    "ai.findSimilarTickets": "The organization's tickets nearest to a ticket by embedding (pgvector), embedding "
    "the ticket first if needed.",
    "ai.getTokenUsage": "The organization's token-usage records (at most 1,000, newest first), or one row per "
    "day, week, month, operation or model with `groupBy`, and totals. Not metered.",
    "ai.run": "One AI action by name: `auto-tag` applies suggested tags, "
    "`suggest-reply` drafts replies (full plan), `summarize` and `improve` as their procedures.",
    "ai.testPrompts": "The prompt playground: classify the organization's own tickets carrying a tag with a "
    "candidate model and system prompt (admins only).",
}

# Example inputs for the reference where the minimal valid input would not show a useful call.
EXAMPLE_INPUTS: dict[str, object] = {
    "ai.run": {"action": "summarize", "ticketId": "3f0c6a52-8d3e-4c1b-9a57-2b6f4f1e8c10"},
    "tickets.list": {"status": "open", "limit": 10},
    "ai.getTokenUsage": {"groupBy": "day"},
    "tickets.update": {"id": "3f0c6a52-8d3e-4c1b-9a57-2b6f4f1e8c10", "status": "pending", "assigneeId": None},
    "users.list": {"role": "agent"},
    "articles.list": {"published": True, "search": "refund"},
    "org.update": {"aiSettings": {"replyTone": "formal", "autoTriage": True}},
}

# Errors a handler answers beyond those its declaration implies (app.catalog.declarations.errors_of
# derives authentication, rights, validation, ids and metering): code -> when.
EXTRA_ERRORS: dict[str, dict[str, str]] = {
    "auth.login": {
        "UNAUTHORIZED": "wrong email or password, or a deactivated member (one message for all)",
        "FORBIDDEN": "a sign-in from another site (Origin not trusted)",
        "TOO_MANY_REQUESTS": "too many failed sign-ins for the email or address (data: retryAfterSeconds)",
    },
    "auth.logout": {"FORBIDDEN": "a sign-out from another site (Origin not trusted)"},
    "auth.changePassword": {
        "FORBIDDEN": "called with an API key (a key has no password)",
        "BAD_REQUEST": "`currentPassword` does not match (data: field)",
    },
    "users.create": {"CONFLICT": "the email is already a member's (data: field)"},
    "users.update": {
        "CONFLICT": "the email is already another member's (data: field)",
        "PRECONDITION_FAILED": "it would demote or deactivate the organization's last admin (data: field)",
    },
    "tickets.update": {
        "NOT_FOUND": "`assigneeId` names no member of the organization",
        "BAD_REQUEST": "`assigneeId` names a viewer, who cannot be assigned tickets",
    },
    "ai.run": {
        "BAD_REQUEST": "the action's field is missing (`ticketId` for auto-tag, suggest-reply and summarize; "
        "`text` for improve)",
        "FORBIDDEN": "`suggest-reply` on a plan without full AI assist",
        "NOT_FOUND": "`ticketId` names no ticket of the caller's organization",
    },
    "ai.suggestAssignee": {"NOT_FOUND": "`ticketId`, when given, names no ticket of the caller's organization"},
    "ai.classifyTicket": {"BAD_REQUEST": "`model` names a hosted model on a server without a hosted engine"},
    "ai.testPrompts": {"BAD_REQUEST": "`model` names a hosted model on a server without a hosted engine"},
}
