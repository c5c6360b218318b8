$session = New-Object Microsoft.PowerShell.Commands.WebRequestSession
$session.UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
Invoke-WebRequest -UseBasicParsing -Uri "https://go.tallyfy.com/api/me" `
-WebSession $session `
-Headers @{
"authority"="go.tallyfy.com"
  "method"="GET"
  "path"="/api/me"
  "scheme"="https"
  "accept"="application/json"
  "accept-encoding"="gzip, deflate, br, zstd"
  "accept-language"="en-GB,en-US;q=0.9,en;q=0.8"
  "authorization"="Bearer {{TOKEN:user}}"
  "priority"="u=1, i"
  "sec-ch-ua"="`"Google Chrome`";v=`"131`", `"Chromium`";v=`"131`", `"Not_A Brand`";v=`"24`""
  "sec-fetch-mode"="cors"
  "x-tallyfy-client"="APIClient"
}
