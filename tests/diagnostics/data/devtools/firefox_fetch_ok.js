await fetch("https://go.tallyfy.com/api/me", {
    "credentials": "include",
    "headers": {
        "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Accept": "application/json",
        "Accept-Language": "en-GB,en;q=0.5",
        "Authorization": "Bearer {{TOKEN:user}}",
        "X-Tallyfy-Client": "APIClient",
        "Sec-Fetch-Dest": "empty",
        "Sec-Fetch-Mode": "cors",
        "Sec-Fetch-Site": "cross-site"
    },
    "referrer": "http://localhost:3000/",
    "method": "GET",
    "mode": "cors"
});
