curl ^"https://go.tallyfy.com/api/oauth/token^" ^
  -H ^"accept: application/json^" ^
  -H ^"content-type: application/x-www-form-urlencoded^" ^
  -H ^"origin: http://localhost:3000^" ^
  -H ^"referer: http://localhost:3000/^" ^
  -H ^"sec-ch-ua: ^\^"Google Chrome^\^";v=^\^"131^\^", ^\^"Chromium^\^";v=^\^"131^\^", ^\^"Not_A Brand^\^";v=^\^"24^\^"^" ^
  -H ^"sec-fetch-mode: cors^" ^
  -H ^"user-agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36^" ^
  -H ^"x-tallyfy-client: APIClient^" ^
  --data-raw ^"grant_type=password^&username=ann^%^40example.com^&password=correct-horse^&client_id=3^&client_secret=s3cr3t-client^" &
curl ^"https://go.tallyfy.com/api/me^" ^
  -H ^"accept: application/json^" ^
  -H ^"authorization: Bearer {{TOKEN:user}}^" ^
  -H ^"origin: http://localhost:3000^" ^
  -H ^"referer: http://localhost:3000/^" ^
  -H ^"sec-fetch-mode: cors^" ^
  -H ^"user-agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36^" ^
  -H ^"x-tallyfy-client: APIClient^"
