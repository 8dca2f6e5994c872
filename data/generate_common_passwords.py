#!/usr/bin/env python3
"""Write curation/common_passwords.txt: passwords people pick first, and the words they build them from.

    python data/generate_common_passwords.py

The password policy (``curation.credentials``) refuses a password that is on this list, or
that becomes a listed word once case, look-alike digits and symbols (``p@ssw0rd``), and
digits or punctuation around it (``Summer2024!``) are taken away. The list is written for
this project from the patterns such passwords follow (keyboard walks, digit runs, common
words, names, sports, seasons, this product's own words); it is not copied from a breach
corpus. A deployment can add a larger list of its own with ``CURATE_PASSWORD_DENYLIST``.
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "curation" / "common_passwords.txt"

WORDS = """
password passwort passe contrasena senha wachtwoord haslo salasana losenord parola
letmein welcome welcomeback hello hellothere hi iloveyou loveyou lovely love lover
admin administrator root toor superuser sysadmin login logon signin user username guest
default changeme changeit temp temporary test testing tester demo sample example nothing
secret secrets private access entry opensesame master mastermind boss chief manager
qwerty qwertz azerty qwertyuiop asdf asdfgh asdfghjkl zxcv zxcvbn zxcvbnm qazwsx qweasd
abc abcd abcdef abcdefg abcdefgh abcdefghij abc123 aaa aaaaaa zzz xxx
monkey dragon tiger lion eagle falcon shark wolf bear panda kitten kitty puppy doggy
bunny horse pony dolphin butterfly ladybug turtle snake cobra python viper phoenix
sunshine sunrise sunset rainbow starlight moonlight shadow darkness thunder lightning
princess prince queen king knight angel devil demon ghost wizard magic merlin
football soccer baseball basketball hockey tennis golf cricket rugby volleyball
skateboard surfing snowboard racing runner cycling boxing karate ninja samurai
batman superman spiderman ironman hulk wolverine starwars startrek matrix pokemon
pikachu mario zelda minecraft fortnite gamer gaming player
summer winter spring autumn fall january february march april may june july august
september october november december monday tuesday wednesday thursday friday
saturday sunday weekend holiday christmas easter halloween
red blue green yellow orange purple pink black white silver golden gold diamond
flower rose lily daisy cherry apple banana orange lemon peach mango strawberry
chocolate cookie cookies cupcake candy sugar honey cheese pizza burger coffee tea beer
whiskey vodka
michael jennifer jessica ashley michelle daniel david andrew joshua matthew james
robert william thomas charlie jordan hunter tyler brandon justin george harry oliver
jack emily emma sophie sarah hannah olivia anna maria nicole amanda samantha jasmine
ginger pepper buster tigger charlie bailey maggie max lucky rocky buddy molly
computer internet laptop keyboard mouse iphone android samsung google facebook
windows linux apple microsoft netflix spotify
freedom liberty justice peace forever always together family friends friendship
happy happiness smile funny crazy cool awesome amazing beautiful pretty cute sweet
whatever trustno1 trustnoone nobody somebody everybody anything everything
money dollar cash rich million lucky fortune success winner champion victory
jesus christ heaven blessed faith hope grace
england london paris berlin madrid rome newyork america canada brazil mexico india
china japan germany france spain italy russia australia europe
mustang ferrari porsche corvette harley yamaha honda toyota bmw mercedes
company office work workplace business project team teamwork
curate curation curator annotator annotate workbench dataset datasets review reviewer
notable tidebook instruction instructions training finetune lora model
""".split()

SEQUENCES = """
123 1234 12345 123456 1234567 12345678 123456789 1234567890 0123456789 987654321
87654321 7654321 654321 54321 111111 1111111 11111111 000000 0000000 00000000
121212 123123 123123123 112233 11223344 123321 654321 666666 777777 888888 999999
696969 101010 131313 147258 147258369 159753 159357 258456 741852963 789456 789456123
1q2w3e 1q2w3e4r 1q2w3e4r5t q1w2e3r4 1qaz2wsx 1qazxsw2 zaq12wsx zaq1zaq1 qwe123 asd123
abc12345 a1b2c3 a1b2c3d4 pass123 pass1234 admin123 root123 test123 user123
""".split()


def entries() -> list[str]:
    out = set(WORDS) | set(SEQUENCES)
    out |= {w + w for w in WORDS if len(w) <= 6}  # "monkeymonkey"
    out |= {"my" + w for w in WORDS if len(w) >= 4}  # "mypassword"
    out |= {w + "s" for w in WORDS if len(w) >= 4 and not w.endswith("s")}
    return sorted(w for w in out if w)


def main() -> None:
    words = entries()
    OUT.write_text(
        "# common passwords and the words they are built from (data/generate_common_passwords.py)\n"
        + "\n".join(words)
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(words)} entries to {OUT}")


if __name__ == "__main__":
    main()
