$session = New-Object Microsoft.PowerShell.Commands.WebRequestSession
$session.UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
Invoke-WebRequest -UseBasicParsing -Uri "https://go.tallyfy.com/api/oauth/token" `
-Method "POST" `
-WebSession $session `
-Headers @{
"accept"="application/json"
  "x-tallyfy-client"="APIClient"
} `
-ContentType "application/json" `
-Body "{`"grant_type`":`"password`",`"username`":`"ann@example.com`",`"password`":`"correct-horse`",`"client_id`":`"3`",`"client_secret`":`"s3cr3t-client`"}"
