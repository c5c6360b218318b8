fetch("https://go.tallyfy.com/api/organizations/5d3c1b2a4f6e8d0c9b7a6f5e4d3c2b1a/tasks", {
  "headers": {
    "accept": "application/json",
    "authorization": "Bearer {{TOKEN:user}}",
    "content-type": "application/json",
    "x-tallyfy-client": "APIClient"
  },
  "body": "{\"title\":\"Send the contract\",\"task_type\":\"task\",\"deadline\":\"2025-07-15T17:00:00\"}",
  "method": "POST"
});
