// Submits the gateway's signed form (UnionPay) at once; CSP forbids inline scripts.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
