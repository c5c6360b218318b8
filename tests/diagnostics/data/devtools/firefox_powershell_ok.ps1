$session = New-Object Microsoft.PowerShell.Commands.WebRequestSession
$session.UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
Invoke-WebRequest -UseBasicParsing -Uri "https://go.tallyfy.com/api/me" `
-WebSession $session `
-Headers @{
"Accept" = "application/json"
  "Accept-Language" = "en-GB,en;q=0.5"
  "Accept-Encoding" = "gzip, deflate, br, zstd"
  "Authorization" = "Bearer {{TOKEN:user}}"
  "X-Tallyfy-Client" = "APIClient"
  "Sec-Fetch-Dest" = "empty"
  "Sec-Fetch-Mode" = "cors"
  "Sec-Fetch-Site" = "same-site"
}
