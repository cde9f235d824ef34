// The server's tsconfig has no DOM library, but tests here import dashboard modules
// (alert-labels → i18n) whose functions they never call name browser globals.
// Just those globals, as the dashboard uses them, so the type-check passes.
declare const document: { documentElement: { lang: string } };
declare const localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
