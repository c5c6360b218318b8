$headers = @{ Authorization = "Bearer {{TOKEN:app}}"; "X-Tallyfy-Client" = "APIClient"; Accept = "application/json" }
Invoke-RestMethod -Uri "https://go.tallyfy.com/api/me" -Headers $headers
