import { trpc } from "../api";
import { field, h, replace } from "../dom";
import { errorBox } from "../ui";

export function renderSignIn(root: HTMLElement, signedIn: () => Promise<void>): void {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const status = h("div", { class: "status" });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "signin",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        button.disabled = true;
        replace(status);
        try {
          await trpc.auth.login.mutate({ email: email.value, password: password.value });
          await signedIn();
        } catch (error) {
          replace(status, errorBox(error));
          button.disabled = false;
        }
      },
    },
    h("h1", null, "helpdesk-ai admin"),
    field("Email", email),
    field("Password", password),
    button,
    status,
  );
  replace(root, h("main", { class: "signin-page" }, form));
}
