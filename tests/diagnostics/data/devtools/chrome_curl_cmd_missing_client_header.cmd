curl ^"https://go.tallyfy.com/api/organizations/5d3c1b2a4f6e8d0c9b7a6f5e4d3c2b1a/runs?per_page=10^&status=active^" ^
  -H ^"accept: application/json^" ^
  -H ^"authorization: Bearer {{TOKEN:user}}^" ^
  -H ^"sec-ch-ua-platform: ^\^"Windows^\^"^" ^
  -H ^"user-agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36^"
