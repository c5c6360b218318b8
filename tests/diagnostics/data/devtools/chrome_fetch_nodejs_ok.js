fetch("https://go.tallyfy.com/api/me", {
  "headers": {
    "accept": "application/json",
    "authorization": "Bearer {{TOKEN:user}}",
    "x-tallyfy-client": "APIClient",
    "Referer": "http://localhost:3000/",
    "Referrer-Policy": "strict-origin-when-cross-origin"
  },
  "body": null,
  "method": "GET"
});
