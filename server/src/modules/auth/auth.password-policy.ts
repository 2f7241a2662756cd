import { LIMITS } from "@helpdesk/contracts";

const COMMON = new Set([
  "password",
  "password1",
  "password123",
  "1234567890",
  "12345678910",
  "qwertyuiop",
  "qwerty12345",
  "1q2w3e4r5t",
  "iloveyou123",
  "admin12345",
  "administrator",
  "letmein123",
  "welcome123",
  "йцукенгшщз",
  "пароль12345",
]);

/**
 * Reasons why a password is too weak, empty when it is acceptable: length, a list of the
 * commonest passwords, the person's own e-mail or name, a single repeated character.
 */
export function checkPasswordStrength(
  password: string,
  person: { email?: string; name?: string } = {},
): string[] {
  const reasons: string[] = [];
  if (password.length < LIMITS.passwordMin) reasons.push(`at least ${LIMITS.passwordMin} characters`);
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) reasons.push("too common");
  if (/^(.)\1+$/.test(password)) reasons.push("a single repeated character");
  const local = person.email?.split("@")[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local)) reasons.push("contains your e-mail address");
  const name = person.name?.toLowerCase().replace(/\s+/g, "");
  if (name && name.length >= 4 && lower.replace(/\s+/g, "") === name) reasons.push("is your name");
  return reasons;
}
