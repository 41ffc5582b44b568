import{createRequire as __createRequire}from"node:module";const require=__createRequire(import.meta.url);
import{a as r}from"./shared-CJMGZLDQ.mjs";import{c as o}from"./shared-SC7DVRZT.mjs";var e=o(r(),1);var export_ProxyAgent=e.ProxyAgent;var export_fetch=e.fetch;export{export_ProxyAgent as ProxyAgent,export_fetch as fetch};
