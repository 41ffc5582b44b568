/** The action's name and version, as sent in the User-Agent (kept equal to package.json by a test). */
export const ACTION_NAME = "update-datadog-action-connection";
export const ACTION_VERSION = "1.0.0";
