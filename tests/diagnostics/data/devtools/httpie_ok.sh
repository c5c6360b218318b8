http GET https://go.tallyfy.com/api/me Authorization:"Bearer {{TOKEN:user}}" X-Tallyfy-Client:APIClient Accept:application/json
