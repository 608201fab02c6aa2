"""Languages visitors can answer in. Translations of visitor text live in Babel catalogues."""
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
