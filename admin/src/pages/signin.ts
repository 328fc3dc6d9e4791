import { trpc } from "../api";
import { field, h, replace } from "../dom";
import { actionForm } from "../ui";

export function renderSignIn(root: HTMLElement, signedIn: () => Promise<void>): void {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const status = h("div", { class: "status" });
  // Signed in, the app replaces this page; refused, the form says why.
  async function signIn(): Promise<void> {
    await trpc.auth.login.mutate({ email: email.value, password: password.value });
    await signedIn();
  }

  const form = actionForm(
    { class: "signin", submit: "Sign in", status, run: signIn },
    h("h1", null, "helpdesk-ai admin"),
    field("Email", email),
    field("Password", password),
  );
  replace(root, h("main", { class: "signin-page" }, form));
}
