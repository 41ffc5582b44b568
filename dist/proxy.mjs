import{createRequire as __createRequire}from"node:module";const require=__createRequire(import.meta.url);
import{c as o,d as r}from"./shared-LXSCTGWC.mjs";var e=o(r(),1);var export_ProxyAgent=e.ProxyAgent;var export_fetch=e.fetch;export{export_ProxyAgent as ProxyAgent,export_fetch as fetch};
