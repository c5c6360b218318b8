fetch("https://go.tallyfy.com/api/organizations/5d3c1b2a4f6e8d0c9b7a6f5e4d3c2b1a/checklists?per_page=20", {
  "headers": {
    "accept": "application/json",
    "authorization": "Bearer {{TOKEN:user}}",
    "sec-fetch-mode": "cors"
  },
  "referrer": "https://intranet.example.com/workflows",
  "referrerPolicy": "strict-origin-when-cross-origin",
  "body": null,
  "method": "GET",
  "mode": "cors",
  "credentials": "include"
});
