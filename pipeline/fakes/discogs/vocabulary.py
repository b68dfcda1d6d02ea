"""Word lists and weights the generator draws from, shaped after what real Discogs collections hold."""

from __future__ import annotations

# Genre -> (weight, styles). Weights follow the rough mix of a record collector's shelves.
GENRES: dict[str, tuple[int, tuple[str, ...]]] = {
    "Rock": (30, ("Indie Rock", "Alternative Rock", "Punk", "Post-Punk", "Psychedelic Rock", "Hard Rock",
                  "Prog Rock", "Garage Rock", "Shoegaze", "Classic Rock", "New Wave", "Krautrock")),
    "Electronic": (20, ("House", "Techno", "Ambient", "Synth-pop", "Downtempo", "Drum n Bass", "IDM",
                        "Electro", "Trip Hop", "Experimental", "Deep House", "Disco")),
    "Jazz": (10, ("Hard Bop", "Modal", "Free Jazz", "Cool Jazz", "Soul-Jazz", "Fusion", "Bop", "Big Band")),
    "Funk / Soul": (9, ("Soul", "Funk", "Rhythm & Blues", "Disco", "Gospel", "Neo Soul")),
    "Hip Hop": (8, ("Boom Bap", "Conscious", "Gangsta", "Instrumental", "Trip Hop", "Jazzy Hip-Hop")),
    "Pop": (8, ("Synth-pop", "Ballad", "Indie Pop", "Europop", "Chanson", "Vocal")),
    "Classical": (4, ("Baroque", "Romantic", "Modern", "Contemporary", "Opera")),
    "Reggae": (3, ("Roots Reggae", "Dub", "Ska", "Rocksteady", "Dancehall")),
    "Folk, World, & Country": (3, ("Folk", "Country", "Afrobeat", "Bossa Nova", "Celtic", "Bluegrass")),
    "Latin": (2, ("Salsa", "Cumbia", "Samba", "Bolero")),
    "Blues": (2, ("Delta Blues", "Chicago Blues", "Electric Blues")),
    "Stage & Screen": (1, ("Soundtrack", "Score", "Musical")),
    "Non-Music": (1, ("Field Recording", "Spoken Word", "Comedy")),
}

# Format name -> (weight, possible descriptions, extra text)
FORMATS: dict[str, tuple[int, tuple[str, ...]]] = {
    "Vinyl": (70, ("LP", "Album", '12"', '7"', "45 RPM", "33 ⅓ RPM", "Reissue", "Remastered", "Single",
                   "EP", "Compilation", "Limited Edition", "Stereo", "Gatefold")),
    "CD": (18, ("Album", "Compilation", "Reissue", "Remastered", "Single", "Enhanced")),
    "Cassette": (6, ("Album", "Compilation", "Mixtape")),
    "File": (3, ("MP3", "FLAC", "Album")),
    "Box Set": (2, ("Compilation", "Limited Edition", "Remastered")),
    "All Media": (1, ("Album", "Limited Edition")),
}

LABEL_STEMS = ("Blue Note", "Warp", "Sub Pop", "Rough Trade", "Factory", "Impulse!", "Motown", "Stax",
               "Def Jam", "Island", "Elektra", "Verve", "4AD", "Ninja Tune", "Matador", "Merge",
               "Columbia", "Atlantic", "Chess", "Trojan", "ECM Records", "Mute", "XL Recordings",
               "Domino", "Kranky", "Thrill Jockey", "Strut", "Soul Jazz Records", "Analog Africa",
               "Death Row Records", "Tommy Boy", "Creation Records", "Ghostly International",
               "Numero Group", "Light In The Attic", "Ace Records", "Ostinato Records", "Rhino Records",
               "Polydor", "Philips", "Decca", "Harvest", "Virgin", "Parlophone", "Capitol Records")

ARTIST_FIRST = ("The", "Black", "Silver", "Velvet", "Electric", "Midnight", "Golden", "Cosmic", "Little",
                "Big", "Neon", "Quiet", "Royal", "Broken", "Holy", "Lost", "Young", "Wild", "Crystal")
ARTIST_SECOND = ("Owls", "Harbour", "Machines", "Orchestra", "Sisters", "Brothers", "Collective", "Echo",
                 "Rivers", "Dreamers", "Cathedral", "Satellites", "Tigers", "Ghosts", "Parade", "Foxes",
                 "Engines", "Horizon", "Garden", "Choir")
PERSON_FIRST = ("Miles", "Nina", "Alice", "John", "Ornette", "Sun", "Marvin", "Aretha", "Fela", "Björk",
                "Sigur", "Kraft", "Brian", "Joni", "Kate", "Thelonious", "Yoko", "Ryūichi", "Zoë", "Chloé")
PERSON_LAST = ("Davis", "Simone", "Coltrane", "Coleman", "Ra", "Gaye", "Franklin", "Kuti", "Guðmundsdóttir",
               "Rós", "Werk", "Eno", "Mitchell", "Bush", "Monk", "Ono", "Sakamoto", "Keating", "Müller")
# Names that exercise Unicode, right-to-left text and HTML-looking characters on the pages.
UNUSUAL_ARTISTS = ("Motörhead", "Mötley Crüe", "坂本龍一", "Sigur Rós", "Jóhann Jóhannsson",
                   "Ибица", "فيروز", "AC/DC", "Simon & Garfunkel", "Earth, Wind & Fire",
                   "<b>Bold</b> Ensemble", "!!!")

TITLE_WORDS = ("Blue", "Night", "Train", "Love", "Supreme", "Kind", "Of", "Dreams", "Heart", "Sound",
               "Light", "Shadows", "Paradise", "Machine", "River", "Dance", "Moon", "Revolution", "Sessions",
               "Live", "Echoes", "Fire", "Soul", "Gold", "Waves", "Stories", "Tomorrow", "Forever")
UNUSUAL_TITLES = ('<script>alert("xss")</script>', "Tom & Jerry's \"Greatest\" Hits", "Ágætis Byrjun",
                  "</title><img src=x onerror=alert(1)>", "Ænima", "東京 Nights", "Señor Café ☕",
                  "{{ 7*7 }} Live", "Ça Plane Pour Moi", "Nø Future", "Ōkami", "'; DROP TABLE releases;--")

NOTE_TEXTS = ("Signed copy", "First pressing", "Bought at Rough Trade", "Slight seam split", "Gift",
              "Mint, still sealed")
